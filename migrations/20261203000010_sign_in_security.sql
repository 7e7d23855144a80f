-- Sign-in security: the sessions people can see and end, two-factor authentication (TOTP and
-- recovery codes), and the organization's rules for both (required second factor by role,
-- idle sign-out). Like users and auth_attempts, the per-person tables belong to no tenant and
-- are reached only through src/server/auth.

-- Each signed-in browser: its row is what "my sessions" lists and what ending a session marks.
-- The session itself (tower-sessions) carries this id; a request whose row is ended or idle
-- past the organization's limit is signed out (server::auth::sessions::guard).
CREATE TABLE user_sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- "password", "password+totp", "password+recovery_code", "passkey", "sso", "registration", "invitation"
    method text NOT NULL,
    shared_device boolean NOT NULL DEFAULT false,
    user_agent text NOT NULL DEFAULT '',
    ip inet NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Moved forward at most once a minute (server::auth::sessions::TOUCH_EVERY).
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    ended_reason text CHECK (ended_reason IN (
        'signed_out', 'idle', 'ended_by_self', 'ended_by_owner', 'password_changed', 'role_changed', 'removed',
        'second_factor_changed')),
    ended_by uuid REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT user_sessions_ended_together CHECK ((ended_at IS NULL) = (ended_reason IS NULL)),
    CONSTRAINT user_sessions_user_agent_length CHECK (char_length(user_agent) <= 400)
);
CREATE INDEX user_sessions_open_idx ON user_sessions (user_id, last_seen_at DESC) WHERE ended_at IS NULL;

-- TOTP (RFC 6238): the shared secret sealed with the field encryption key (AES-256-GCM,
-- server::auth::sealed), never stored in the clear. Unconfirmed until the person types a code
-- from their app; `last_step` refuses a code used once already (and any older one).
CREATE TABLE totp_credentials (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed bytea NOT NULL,
    confirmed_at timestamptz,
    last_step bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Ten single-use recovery codes per person, SHA-256 of each; shown once when made.
CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- The organization's rules. An empty role list means two-factor is not required.
ALTER TABLE organizations
    ADD COLUMN require_2fa_roles member_role[] NOT NULL DEFAULT '{}',
    ADD COLUMN idle_minutes integer NOT NULL DEFAULT 15
        CONSTRAINT organizations_idle_minutes_range CHECK (idle_minutes BETWEEN 1 AND 720),
    -- Roles signed out after `idle_minutes` on any device; everyone who signs in on a shared
    -- device is, whatever their role.
    ADD COLUMN idle_roles member_role[] NOT NULL DEFAULT '{staff}';

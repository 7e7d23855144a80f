-- Accounts, organizations (the tenants), memberships with roles, invitations, sessions.
--
-- Tenant-owned tables carry org_id NOT NULL and have row-level security ENABLEd and FORCEd, so
-- the policies bind the table owner (the application role) too. Account-level tables (users,
-- user_tokens, auth_attempts, outbound_emails, sessions) belong to no tenant and are reached
-- only through src/server/accounts and src/server/auth.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    email_verified_at timestamptz,
    -- Set only by `cleantrack create-superuser`, never through the web.
    is_platform_operator boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalized CHECK (email = lower(btrim(email))),
    CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 100)
);

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_name_length CHECK (char_length(name) BETWEEN 1 AND 120)
);

CREATE TYPE member_role AS ENUM ('owner', 'admin', 'supervisor', 'staff', 'auditor');

CREATE TABLE memberships (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email text NOT NULL,
    role member_role NOT NULL,
    -- SHA-256 of the token in the link; the token itself is never stored.
    token_hash bytea NOT NULL,
    invited_by uuid NOT NULL REFERENCES users (id),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id),
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT invitations_id_key UNIQUE (id),
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_email_normalized CHECK (email = lower(btrim(email)))
);

-- Email verification and password reset: single use, expiring, stored hashed.
CREATE TABLE user_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

-- Sign-in, registration and reset attempts, counted in Postgres so limits hold across instances.
CREATE TABLE auth_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('login', 'register', 'reset')),
    email text,
    ip inet NOT NULL,
    succeeded boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_attempts_email_idx ON auth_attempts (kind, email, created_at);
CREATE INDEX auth_attempts_ip_idx ON auth_attempts (kind, ip, created_at);

-- Every email the application sends, recorded durably before delivery.
CREATE TABLE outbound_emails (
    id uuid PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_emails_recipient_idx ON outbound_emails (recipient, created_at DESC);

-- tower-sessions-sqlx-store's table, created here so migrations stay the one way to change the schema.
CREATE SCHEMA tower_sessions;
CREATE TABLE tower_sessions.session (
    id text PRIMARY KEY NOT NULL,
    data bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);

-- Row-level security --------------------------------------------------------------------------

-- Platform operators (our staff) read across tenants in the console. The flag is looked up
-- from the signed-in user id in the transaction's context, never taken from the request.
CREATE FUNCTION app.is_platform_operator() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT is_platform_operator FROM users WHERE id = app.current_user_id()), false) $$;

-- An invitee holds the token but is not yet a member; only the row whose hash matches is visible.
CREATE FUNCTION app.current_invitation_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(nullif(current_setting('app.invitation_token_hash', true), ''), 'hex') $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant ON organizations
    USING (id = app.current_org_id()) WITH CHECK (id = app.current_org_id());
-- A user sees the names of the organizations they belong to, to switch between them.
CREATE POLICY organizations_member_reads ON organizations FOR SELECT
    USING (EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = organizations.id AND m.user_id = app.current_user_id()));
CREATE POLICY organizations_platform_reads ON organizations FOR SELECT USING (app.is_platform_operator());
-- Whoever holds an invitation's token sees the name of the organization inviting them.
CREATE POLICY organizations_invitee_reads ON organizations FOR SELECT
    USING (EXISTS (SELECT 1 FROM invitations i
                   WHERE i.org_id = organizations.id AND i.token_hash = app.current_invitation_token_hash()));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant ON memberships
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE POLICY memberships_own_reads ON memberships FOR SELECT USING (user_id = app.current_user_id());
CREATE POLICY memberships_platform_reads ON memberships FOR SELECT USING (app.is_platform_operator());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON invitations
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE POLICY invitations_token_holder_reads ON invitations FOR SELECT
    USING (token_hash = app.current_invitation_token_hash());
CREATE POLICY invitations_platform_reads ON invitations FOR SELECT USING (app.is_platform_operator());

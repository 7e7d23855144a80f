-- Passkeys (WebAuthn): a person registers several, names and removes them, and signs in with
-- one alone (something they have, unlocked by something they know or are). Public material
-- only: the credential's public key and counter, as webauthn-rs keeps them.
CREATE TABLE passkeys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CONSTRAINT passkeys_name_length CHECK (char_length(name) BETWEEN 1 AND 60),
    credential_id bytea NOT NULL CONSTRAINT passkeys_credential_id_key UNIQUE,
    credential jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

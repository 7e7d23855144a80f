-- Single sign-on with OpenID Connect, one provider per organization. The client secret is
-- sealed with FIELD_ENCRYPTION_KEY (server::auth::sealed) and never shown again; the audit
-- trail records that it changed, not its value. The email domains a provider covers are rows
-- of their own so that a domain belongs to one organization only: sign-in by email finds one
-- provider, and no provider speaks for another organization's addresses.
CREATE TABLE sso_providers (
    org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    issuer text NOT NULL CONSTRAINT sso_providers_issuer_length CHECK (char_length(issuer) BETWEEN 8 AND 500),
    client_id text NOT NULL CONSTRAINT sso_providers_client_id_length CHECK (char_length(client_id) BETWEEN 1 AND 300),
    client_secret_sealed bytea NOT NULL,
    -- The role given to a person the provider vouches for who is not a member yet; NULL: only
    -- people already invited or members may sign in.
    jit_role member_role CONSTRAINT sso_providers_jit_role CHECK (jit_role IS NULL OR jit_role IN ('admin', 'supervisor', 'staff', 'auditor')),
    -- Members sign in through the provider only (owners keep a password with two-factor).
    enforced boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sso_domains (
    domain text PRIMARY KEY CONSTRAINT sso_domains_normalized CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9.-]+\.[a-z]{2,}$'),
    org_id uuid NOT NULL REFERENCES sso_providers (org_id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_org_idx ON sso_domains (org_id);

ALTER TABLE sso_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_providers FORCE ROW LEVEL SECURITY;
CREATE POLICY sso_providers_tenant ON sso_providers
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY sso_providers_backup_reads ON sso_providers FOR SELECT USING ((SELECT app.is_backup()));
-- Signing in: before anyone is known, the provider of the email's domain
-- (`app.sso_domain`), then, on the provider's return, the one the sign-in began with
-- (`app.sso_org`, taken from the server's session). Read-only either way (server::auth::scope::SsoTx).
CREATE POLICY sso_providers_sign_in_reads ON sso_providers FOR SELECT
    USING (org_id = nullif(current_setting('app.sso_org', true), '')::uuid
           OR org_id = (SELECT d.org_id FROM sso_domains d WHERE d.domain = nullif(current_setting('app.sso_domain', true), '')));

-- A person outside any organization's transaction (signing in with a password) sees whether
-- their own organizations enforce single sign-on.
CREATE POLICY sso_providers_member_reads ON sso_providers FOR SELECT
    USING (nullif(current_setting('app.org_id', true), '') IS NULL
           AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = sso_providers.org_id AND m.user_id = (SELECT app.current_user_id())));

ALTER TABLE sso_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY sso_domains_tenant ON sso_domains
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY sso_domains_backup_reads ON sso_domains FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY sso_domains_sign_in_reads ON sso_domains FOR SELECT
    USING (domain = nullif(current_setting('app.sso_domain', true), '')
           OR org_id = nullif(current_setting('app.sso_org', true), '')::uuid);

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON sso_providers
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'org_id', 'client_secret_sealed');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON sso_domains
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'domain');

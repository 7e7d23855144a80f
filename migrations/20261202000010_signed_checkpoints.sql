-- Tamper evidence that holding the database is not enough to defeat (issue 15).
--
-- A checkpoint is an organization's chain head (last event number and hash) signed with the
-- Ed25519 key the server holds outside the database (AUDIT_SIGNING_KEY). Someone who rewrites
-- an event and re-hashes every event after it makes a chain that verifies on its own, but its
-- hash at a checkpoint's event no longer matches what the key signed, and they cannot sign a
-- new checkpoint. Checkpoints are made hourly while events arrive, and at every export.
--
-- An issued file is every PDF, CSV and binder we hand out: its SHA-256, what it is, when and
-- by whom it was issued, signed with the same key. `/verify` looks a file up by its hash.

CREATE TABLE audit_checkpoints (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id),
    seq bigint NOT NULL,
    head_hash bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    -- The text signed is app-independent: see server/audit/signing.rs `checkpoint_text`.
    key_id text NOT NULL,
    signature bytea NOT NULL,
    reason text NOT NULL CHECK (reason IN ('hourly', 'export'))
);
CREATE INDEX audit_checkpoints_org_idx ON audit_checkpoints (org_id, seq);
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_tenant ON audit_checkpoints
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE POLICY audit_checkpoints_verifier_reads ON audit_checkpoints FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION app.audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_refuse_change();

CREATE TABLE issued_files (
    sha256 bytea NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    kind text NOT NULL CHECK (kind IN ('report_pdf', 'binder', 'logs_csv', 'compliance_csv', 'audit_jsonl')),
    issued_at timestamptz NOT NULL,
    issued_by uuid REFERENCES users (id),
    key_id text NOT NULL,
    signature bytea NOT NULL,
    PRIMARY KEY (sha256, org_id)
);
ALTER TABLE issued_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE issued_files FORCE ROW LEVEL SECURITY;
CREATE POLICY issued_files_tenant ON issued_files
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE TRIGGER issued_files_append_only BEFORE UPDATE OR DELETE ON issued_files
    FOR EACH ROW EXECUTE FUNCTION app.audit_refuse_change();

-- `/verify` is public: whoever holds a file may learn who issued it and when, and nothing else.
-- The lookup carries the hash in the transaction (as a sticker's token is carried), and the
-- policy shows exactly the rows with that hash; the organization's name comes with it.
CREATE POLICY issued_files_by_hash ON issued_files FOR SELECT
    USING (sha256 = decode(nullif(current_setting('app.file_sha256', true), ''), 'hex'));
CREATE POLICY organizations_of_an_issued_file ON organizations FOR SELECT
    USING (id IN (SELECT f.org_id FROM issued_files f
                  WHERE f.sha256 = decode(nullif(current_setting('app.file_sha256', true), ''), 'hex')));

-- `cleantrack backup` reads them like every other table under row-level security.
CREATE POLICY audit_checkpoints_backup_reads ON audit_checkpoints FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY issued_files_backup_reads ON issued_files FOR SELECT USING ((SELECT app.is_backup()));

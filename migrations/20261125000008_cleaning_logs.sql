-- Cleaning logs and their verifications: the records inspectors read. Never updated or
-- deleted (the database refuses it); a correction is a new log that amends the original with a
-- reason, and both stay. Each carries its signature: who (printed name at the time of signing),
-- when, and what the signature means.

CREATE TABLE cleaning_logs (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    equipment_id uuid NOT NULL,
    protocol_id uuid,
    protocol_version integer,
    performed_by uuid NOT NULL REFERENCES users (id),
    signer_name text NOT NULL,
    signature_meaning text NOT NULL DEFAULT 'performed' CHECK (signature_meaning = 'performed'),
    -- As the device said (staff may log a little after the fact), and as the server saw it.
    performed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    checklist jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checklist) = 'array'),
    outcome text NOT NULL CHECK (outcome IN ('pass', 'fail')),
    notes text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 2000),
    amends uuid,
    amendment_reason text,
    PRIMARY KEY (org_id, id),
    CONSTRAINT cleaning_logs_id_key UNIQUE (id),
    CONSTRAINT cleaning_logs_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id),
    CONSTRAINT cleaning_logs_protocol_fkey FOREIGN KEY (org_id, protocol_id, protocol_version)
        REFERENCES protocol_versions (org_id, protocol_id, version),
    CONSTRAINT cleaning_logs_amends_fkey FOREIGN KEY (org_id, amends) REFERENCES cleaning_logs (org_id, id),
    CONSTRAINT cleaning_logs_amendment_reason CHECK ((amends IS NULL) = (amendment_reason IS NULL))
);
CREATE INDEX cleaning_logs_equipment_idx ON cleaning_logs (org_id, equipment_id, performed_at DESC);

CREATE TABLE verifications (
    org_id uuid NOT NULL,
    log_id uuid NOT NULL,
    verified_by uuid NOT NULL REFERENCES users (id),
    signer_name text NOT NULL,
    signature_meaning text NOT NULL DEFAULT 'verified' CHECK (signature_meaning = 'verified'),
    verified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, log_id),
    CONSTRAINT verifications_log_fkey FOREIGN KEY (org_id, log_id) REFERENCES cleaning_logs (org_id, id)
);

CREATE FUNCTION app.refuse_record_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION '% are never changed or deleted: record an amendment instead', TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER cleaning_logs_immutable BEFORE UPDATE OR DELETE ON cleaning_logs
    FOR EACH ROW EXECUTE FUNCTION app.refuse_record_change();
CREATE TRIGGER verifications_immutable BEFORE UPDATE OR DELETE ON verifications
    FOR EACH ROW EXECUTE FUNCTION app.refuse_record_change();

-- Nobody verifies their own log, whatever path writes the row.
CREATE FUNCTION app.refuse_self_verification() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cleaning_logs l WHERE l.org_id = NEW.org_id AND l.id = NEW.log_id AND l.performed_by = NEW.verified_by) THEN
        RAISE EXCEPTION 'a log cannot be verified by the person who performed it' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER verifications_not_self BEFORE INSERT ON verifications
    FOR EACH ROW EXECUTE FUNCTION app.refuse_self_verification();

ALTER TABLE cleaning_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE cleaning_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY cleaning_logs_tenant ON cleaning_logs
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
ALTER TABLE verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY verifications_tenant ON verifications
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON cleaning_logs
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON verifications
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'log_id');

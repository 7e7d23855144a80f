-- Cleaning protocols: versioned checklists. Editing a protocol adds a version; versions are
-- never changed, so a cleaning log can name the exact version it followed.
CREATE TABLE protocols (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL,
    current_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT protocols_id_key UNIQUE (id),
    CONSTRAINT protocols_org_name_key UNIQUE (org_id, name),
    CONSTRAINT protocols_name_length CHECK (char_length(name) BETWEEN 1 AND 120)
);

CREATE TABLE protocol_versions (
    org_id uuid NOT NULL,
    protocol_id uuid NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array' AND jsonb_array_length(steps) BETWEEN 1 AND 50),
    disinfectant text NOT NULL DEFAULT '',
    contact_time_minutes integer NOT NULL CHECK (contact_time_minutes BETWEEN 0 AND 1440),
    photo_required boolean NOT NULL,
    verification_required boolean NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, protocol_id, version),
    CONSTRAINT protocol_versions_protocol_fkey FOREIGN KEY (org_id, protocol_id) REFERENCES protocols (org_id, id)
);

-- Which protocol a piece of equipment is cleaned by (its current version applies).
ALTER TABLE equipment ADD COLUMN protocol_id uuid,
    ADD CONSTRAINT equipment_protocol_fkey FOREIGN KEY (org_id, protocol_id) REFERENCES protocols (org_id, id);

ALTER TABLE protocols ENABLE ROW LEVEL SECURITY;
ALTER TABLE protocols FORCE ROW LEVEL SECURITY;
CREATE POLICY protocols_tenant ON protocols
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
ALTER TABLE protocol_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE protocol_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY protocol_versions_tenant ON protocol_versions
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

-- A version, once written, is what logs refer to: never changed or removed.
CREATE FUNCTION app.refuse_version_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'protocol versions never change: add a new version instead' USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER protocol_versions_immutable BEFORE UPDATE OR DELETE ON protocol_versions
    FOR EACH ROW EXECUTE FUNCTION app.refuse_version_change();
CREATE TRIGGER protocols_no_delete BEFORE DELETE ON protocols FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON protocols
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON protocol_versions
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'protocol_id');

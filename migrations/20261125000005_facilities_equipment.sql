-- Facilities (sites, with the time zone their schedules run in) and the equipment in them.
-- Tenant-owned: org_id NOT NULL, row-level security forced, children reference their parent
-- through (org_id, parent_id) so equipment can never point at another organization's facility.
-- Records are retired, never deleted: cleaning logs will point at them forever.

CREATE TABLE facilities (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL,
    address text NOT NULL DEFAULT '',
    time_zone text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT facilities_id_key UNIQUE (id),
    CONSTRAINT facilities_name_length CHECK (char_length(name) BETWEEN 1 AND 120),
    CONSTRAINT facilities_org_name_key UNIQUE (org_id, name)
);

CREATE TABLE equipment (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    facility_id uuid NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    serial text NOT NULL DEFAULT '',
    location text NOT NULL DEFAULT '',
    risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    -- In the QR sticker's URL (/q/{token}): 256 random bits, so stickers cannot be guessed.
    qr_token text NOT NULL,
    -- Printed under the QR code for people: short, unambiguous, unique in the organization.
    short_code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT equipment_id_key UNIQUE (id),
    CONSTRAINT equipment_qr_token_key UNIQUE (qr_token),
    CONSTRAINT equipment_org_short_code_key UNIQUE (org_id, short_code),
    CONSTRAINT equipment_facility_fkey FOREIGN KEY (org_id, facility_id) REFERENCES facilities (org_id, id),
    CONSTRAINT equipment_name_length CHECK (char_length(name) BETWEEN 1 AND 120),
    CONSTRAINT equipment_kind_length CHECK (char_length(kind) BETWEEN 1 AND 80)
);
CREATE INDEX equipment_facility_idx ON equipment (org_id, facility_id, name);
CREATE INDEX equipment_search_idx ON equipment (org_id, lower(name) text_pattern_ops);

ALTER TABLE facilities ENABLE ROW LEVEL SECURITY;
ALTER TABLE facilities FORCE ROW LEVEL SECURITY;
CREATE POLICY facilities_tenant ON facilities
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

ALTER TABLE equipment ENABLE ROW LEVEL SECURITY;
ALTER TABLE equipment FORCE ROW LEVEL SECURITY;
CREATE POLICY equipment_tenant ON equipment
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

-- Never deleted: refused, so history cannot lose what it refers to.
CREATE FUNCTION app.refuse_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION '% are retired, never deleted', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER facilities_no_delete BEFORE DELETE ON facilities FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();
CREATE TRIGGER equipment_no_delete BEFORE DELETE ON equipment FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON facilities
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON equipment
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id', 'qr_token');

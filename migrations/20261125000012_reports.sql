-- Reports, exports and inspector access.

-- An inspector's membership ends by itself at `access_until` and sees only `facility_ids`
-- (NULL: every facility). Ordinary members have neither.
ALTER TABLE memberships
    ADD COLUMN access_until timestamptz,
    ADD COLUMN facility_ids uuid[],
    ADD CONSTRAINT memberships_guest_limits CHECK ((role = 'inspector') = (access_until IS NOT NULL)),
    ADD CONSTRAINT memberships_facilities_only_for_guests CHECK (facility_ids IS NULL OR role = 'inspector');
-- An inspector is invited by name as well as address: the trail says who was let in.
ALTER TABLE invitations
    ADD COLUMN access_until timestamptz,
    ADD COLUMN facility_ids uuid[],
    ADD COLUMN invitee_name text CHECK (char_length(invitee_name) <= 100),
    ADD CONSTRAINT invitations_guest_limits CHECK ((role = 'inspector') = (access_until IS NOT NULL));

-- How long records are kept. Nothing of an organization is removed before this period has
-- passed since its newest record (see the trigger below); 6 years covers HIPAA's retention.
ALTER TABLE organizations
    ADD COLUMN retention_years integer NOT NULL DEFAULT 6 CHECK (retention_years BETWEEN 1 AND 50);

CREATE FUNCTION app.refuse_removal_within_retention() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    newest timestamptz;
BEGIN
    SELECT max(received_at) INTO newest FROM cleaning_logs WHERE org_id = OLD.id;
    IF newest IS NOT NULL AND newest > now() - make_interval(years => OLD.retention_years) THEN
        RAISE EXCEPTION 'organization % keeps its records until %', OLD.id,
            (newest + make_interval(years => OLD.retention_years))::date
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER organizations_retention BEFORE DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION app.refuse_removal_within_retention();

-- The facility limit of the current transaction: set from the tenant context for inspectors
-- (a Postgres array literal), unset for everyone else. Restrictive policies add it to the
-- organization policies, so an inspector's queries see only their facilities whatever the
-- code asks. Each policy reads the setting through `(SELECT ...)`: an InitPlan, evaluated once
-- per query instead of once per row, so everyone else pays next to nothing for the check.
-- (`= ANY ((SELECT ...)::uuid[])`: the cast makes it an array, not a subquery, for ANY.)
CREATE FUNCTION app.all_facilities() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.facility_ids', true), '') = '' $$;
CREATE FUNCTION app.visible_facilities() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('app.facility_ids', true), ''), '{}')::uuid[] $$;

CREATE POLICY facilities_guest_scope ON facilities AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR id = ANY ((SELECT app.visible_facilities())::uuid[]));
CREATE POLICY equipment_guest_scope ON equipment AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR facility_id = ANY ((SELECT app.visible_facilities())::uuid[]));
CREATE POLICY schedules_guest_scope ON schedules AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR EXISTS (SELECT 1 FROM equipment e WHERE e.org_id = schedules.org_id AND e.id = schedules.equipment_id));
CREATE POLICY cleaning_logs_guest_scope ON cleaning_logs AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR EXISTS (SELECT 1 FROM equipment e WHERE e.org_id = cleaning_logs.org_id AND e.id = cleaning_logs.equipment_id));
CREATE POLICY verifications_guest_scope ON verifications AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR EXISTS (SELECT 1 FROM cleaning_logs l WHERE l.org_id = verifications.org_id AND l.id = verifications.log_id));
CREATE POLICY photos_guest_scope ON photos AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR EXISTS (SELECT 1 FROM equipment e WHERE e.org_id = photos.org_id AND e.id = photos.equipment_id));
CREATE POLICY log_photos_guest_scope ON log_photos AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR EXISTS (SELECT 1 FROM cleaning_logs l WHERE l.org_id = log_photos.org_id AND l.id = log_photos.log_id));

-- Reports prepared in the background (PDF report, inspection binder) and kept for download
-- for a week (then `expired`: the file is removed, the row stays).
-- Progress updates are operational, not records: only the request is in the audit trail (the
-- insert below, and a security event for each download).
CREATE TABLE exports (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    requested_by uuid NOT NULL REFERENCES users (id),
    kind text NOT NULL CHECK (kind IN ('report_pdf', 'binder')),
    -- The filters, as the request gave them (facility, period, ...).
    params jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'ready', 'failed', 'expired')),
    done integer NOT NULL DEFAULT 0,
    total integer NOT NULL DEFAULT 0,
    storage_key text,
    byte_size bigint,
    sha256 bytea,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (org_id, id),
    CONSTRAINT exports_id_key UNIQUE (id)
);
CREATE INDEX exports_recent_idx ON exports (org_id, requested_by, created_at DESC);
ALTER TABLE exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE exports FORCE ROW LEVEL SECURITY;
CREATE POLICY exports_tenant ON exports
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE TRIGGER audit AFTER INSERT ON exports
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');

-- The CSV export reads logs of a period across the organization, newest last.
CREATE INDEX cleaning_logs_period_idx ON cleaning_logs (org_id, performed_at, id);

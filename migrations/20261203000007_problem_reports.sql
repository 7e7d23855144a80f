-- Problems reported from a sticker by anyone who scans it, without an account, when the
-- organization shows the public panel. A report is a request supervisors see: they turn it into a
-- corrective action or dismiss it with a reason. The reporter's address is kept for the rate
-- limit (3 per hour per address and sticker, here; 10 per hour per address, in `auth_attempts`).
CREATE TABLE problem_reports (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    equipment_id uuid NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL CHECK (char_length(btrim(description)) BETWEEN 1 AND 1000),
    contact text CHECK (char_length(contact) <= 200),
    reporter_ip inet,
    -- What became of it: a corrective action, or dismissed with the reason.
    corrective_action_id uuid,
    dismissed_at timestamptz,
    dismissed_by uuid REFERENCES users (id),
    dismissal_reason text CHECK (char_length(dismissal_reason) <= 500),
    PRIMARY KEY (org_id, id),
    CONSTRAINT problem_reports_id_key UNIQUE (id),
    CONSTRAINT problem_reports_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id),
    CONSTRAINT problem_reports_action_fkey FOREIGN KEY (org_id, corrective_action_id) REFERENCES corrective_actions (org_id, id),
    CONSTRAINT problem_reports_dismissed CHECK (
        (dismissed_at IS NULL) = (dismissed_by IS NULL) AND (dismissed_at IS NULL) = (dismissal_reason IS NULL)
        AND NOT (dismissed_at IS NOT NULL AND corrective_action_id IS NOT NULL))
);
CREATE INDEX problem_reports_open_idx ON problem_reports (org_id, reported_at)
    WHERE corrective_action_id IS NULL AND dismissed_at IS NULL;
CREATE INDEX problem_reports_rate_idx ON problem_reports (reporter_ip, reported_at);

-- A report is handled once: what it said, where and when never change.
CREATE FUNCTION app.guard_problem_report() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.corrective_action_id IS NOT NULL OR OLD.dismissed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a handled problem report is never changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.id, NEW.org_id, NEW.equipment_id, NEW.reported_at, NEW.description, NEW.contact, NEW.reporter_ip)
       IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.equipment_id, OLD.reported_at, OLD.description, OLD.contact, OLD.reporter_ip) THEN
        RAISE EXCEPTION 'what a problem report says never changes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard BEFORE UPDATE ON problem_reports FOR EACH ROW EXECUTE FUNCTION app.guard_problem_report();
CREATE TRIGGER problem_reports_no_delete BEFORE DELETE ON problem_reports FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();

ALTER TABLE problem_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE problem_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY problem_reports_backup_reads ON problem_reports FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY problem_reports_tenant ON problem_reports
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY problem_reports_guest_scope ON problem_reports AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON problem_reports
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');

-- The one way in without an account: the sticker's token (set as app.qr_token by the caller, with
-- the request's origin for the trail) names the equipment, which must be active and whose
-- organization must show the public panel. The organization is entered for this statement's
-- insert only (the audit trail's append needs it) and left again before returning, so nothing
-- else of it is read. Answers 'reported', 'limited' or 'not_found'.
CREATE FUNCTION app.report_problem(in_description text, in_contact text, in_ip inet) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    target record;
BEGIN
    SELECT p.org_id, p.id INTO target FROM app.public_sticker_equipment() p
        JOIN public.equipment e ON e.org_id = p.org_id AND e.id = p.id AND e.status = 'active';
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    PERFORM set_config('app.org_id', target.org_id::text, true);
    IF in_ip IS NOT NULL AND (SELECT count(*) FROM public.problem_reports r
         WHERE r.reporter_ip = in_ip AND r.reported_at > now() - interval '1 hour'
           AND r.org_id = target.org_id AND r.equipment_id = target.id) >= 3 THEN
        PERFORM set_config('app.org_id', '', true);
        RETURN 'limited';
    END IF;
    INSERT INTO public.problem_reports (id, org_id, equipment_id, description, contact, reporter_ip)
    VALUES (gen_random_uuid(), target.org_id, target.id, btrim(in_description), nullif(btrim(in_contact), ''), in_ip);
    PERFORM set_config('app.org_id', '', true);
    RETURN 'reported';
END
$$;

-- The address's limit across every sticker is counted with the other request limits
-- (`auth_attempts`, which holds no tenant data).
ALTER TABLE auth_attempts DROP CONSTRAINT auth_attempts_kind_check,
    ADD CONSTRAINT auth_attempts_kind_check CHECK (kind IN ('login', 'register', 'reset', 'problem_report'));

-- Corrective actions: a failed cleaning leads to a fix someone owns. A failed log opens one by
-- itself (`opened_by` NULL: the server, as the log was signed); a supervisor can open one from
-- any log. It has an owner and a due time; closing it needs a note and either a passing
-- re-clean of the same equipment after the failure (linked) or a supervisor's signed override
-- with a reason. Only the owner and due time change while it is open; once closed, nothing does.
-- Every change is in the audit trail.
CREATE TABLE corrective_actions (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    equipment_id uuid NOT NULL,
    log_id uuid,
    opened_by uuid REFERENCES users (id),
    opened_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 2000),
    owner_id uuid REFERENCES users (id),
    due_at timestamptz NOT NULL,
    closed_at timestamptz,
    closed_by uuid REFERENCES users (id),
    closing_note text CHECK (char_length(closing_note) <= 2000),
    reclean_log_id uuid,
    override_reason text CHECK (char_length(override_reason) <= 500),
    -- The override's signature: the signer's legal name and how they re-authenticated.
    override_signer_name text,
    override_signed_with text CHECK (override_signed_with IN ('password', 'pin', 'session')),
    PRIMARY KEY (org_id, id),
    CONSTRAINT corrective_actions_id_key UNIQUE (id),
    CONSTRAINT corrective_actions_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id),
    CONSTRAINT corrective_actions_log_fkey FOREIGN KEY (org_id, log_id) REFERENCES cleaning_logs (org_id, id),
    CONSTRAINT corrective_actions_reclean_fkey FOREIGN KEY (org_id, reclean_log_id) REFERENCES cleaning_logs (org_id, id),
    CONSTRAINT corrective_actions_closed CHECK (
        (closed_at IS NULL AND closed_by IS NULL AND closing_note IS NULL AND reclean_log_id IS NULL AND override_reason IS NULL)
        OR (closed_at IS NOT NULL AND closed_by IS NOT NULL AND btrim(closing_note) <> ''
            AND (reclean_log_id IS NULL) <> (override_reason IS NULL))),
    CONSTRAINT corrective_actions_override_signed CHECK (
        (override_reason IS NULL) = (override_signer_name IS NULL) AND (override_reason IS NULL) = (override_signed_with IS NULL))
);
-- One action opened by the server per failed log (a retried signing cannot open two).
CREATE UNIQUE INDEX corrective_actions_automatic_key ON corrective_actions (org_id, log_id) WHERE opened_by IS NULL;
CREATE INDEX corrective_actions_open_idx ON corrective_actions (org_id, due_at) WHERE closed_at IS NULL;
CREATE INDEX corrective_actions_equipment_idx ON corrective_actions (org_id, equipment_id);
-- The history shows each log's action (`app.equipment_history`, on the sticker page): found by log.
CREATE INDEX corrective_actions_log_idx ON corrective_actions (org_id, log_id);

-- What was opened stays as opened; a closed action stays closed; a re-clean must be a passing
-- log of the same equipment performed after the failure (after the opening, when no log).
CREATE FUNCTION app.guard_corrective_action() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.closed_at IS NOT NULL THEN
            RAISE EXCEPTION 'a closed corrective action is never changed' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (NEW.id, NEW.org_id, NEW.equipment_id, NEW.log_id, NEW.opened_by, NEW.opened_at, NEW.description)
           IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.equipment_id, OLD.log_id, OLD.opened_by, OLD.opened_at, OLD.description) THEN
            RAISE EXCEPTION 'what a corrective action was opened for never changes' USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF NEW.reclean_log_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM cleaning_logs r
        WHERE r.org_id = NEW.org_id AND r.id = NEW.reclean_log_id AND r.equipment_id = NEW.equipment_id
          AND r.outcome = 'pass'
          AND r.performed_at > coalesce(
              (SELECT f.performed_at FROM cleaning_logs f WHERE f.org_id = NEW.org_id AND f.id = NEW.log_id), NEW.opened_at))
    THEN
        RAISE EXCEPTION 'a re-clean is a passing log of the same equipment after the failure' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'corrective_actions_reclean';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON corrective_actions
    FOR EACH ROW EXECUTE FUNCTION app.guard_corrective_action();
CREATE TRIGGER corrective_actions_no_delete BEFORE DELETE ON corrective_actions
    FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();

ALTER TABLE corrective_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE corrective_actions FORCE ROW LEVEL SECURITY;
CREATE POLICY corrective_actions_backup_reads ON corrective_actions FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY corrective_actions_tenant ON corrective_actions
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY corrective_actions_guest_scope ON corrective_actions AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON corrective_actions
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');

-- The history carries the product, the contact time (previous migration) and the state of the
-- corrective action a log opened.
CREATE OR REPLACE FUNCTION app.equipment_history(in_org uuid, in_equipment uuid, shown integer) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(h ORDER BY h.received_order DESC), '[]')
        FROM (
            SELECT l.id, l.received_at AS received_order, l.outcome, l.notes, l.checklist,
                   p.name || ' v' || l.protocol_version AS protocol,
                   l.performed_by AS performer, l.signer_name AS performed_by,
                   app.local_time(l.performed_at, f.time_zone) AS performed_at,
                   app.local_time(l.received_at, f.time_zone) AS received_at,
                   l.signature_meaning, l.signed_with,
                   v.signer_name AS verified_by, app.local_time(v.verified_at, f.time_zone) AS verified_at,
                   v.signature_meaning AS verification_meaning, v.signed_with AS verification_signed_with,
                   l.amends, l.amendment_reason,
                   ARRAY(SELECT a.id FROM cleaning_logs a
                         WHERE a.org_id = l.org_id AND a.amends = l.id ORDER BY a.received_at) AS amended_by,
                   ARRAY(SELECT ph.photo_id FROM log_photos ph
                         WHERE ph.org_id = l.org_id AND ph.log_id = l.id ORDER BY ph.position) AS photos,
                   l.no_protocol_reason, l.late_entry, l.late_entry_reason, l.entered_offline,
                   coalesce(pv.verification_required, false) AS verification_required,
                   l.product_lot, l.product_expiry::text AS product_expiry, l.contact_seconds,
                   (SELECT CASE WHEN ca.closed_at IS NULL THEN 'open' ELSE 'closed' END FROM corrective_actions ca
                    WHERE ca.org_id = l.org_id AND ca.log_id = l.id ORDER BY ca.opened_at DESC LIMIT 1) AS corrective_action
            FROM cleaning_logs l
            LEFT JOIN protocol_versions pv
                   ON pv.org_id = l.org_id AND pv.protocol_id = l.protocol_id AND pv.version = l.protocol_version
            JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id
            JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
            LEFT JOIN protocols p ON p.org_id = l.org_id AND p.id = l.protocol_id
            LEFT JOIN verifications v ON v.org_id = l.org_id AND v.log_id = l.id
            WHERE l.org_id = in_org AND l.equipment_id = in_equipment
            ORDER BY l.received_at DESC
            LIMIT shown
        ) h
    );
END
$$;


-- The corrective actions CSV is issued like the other files: anyone can check it at /verify.
ALTER TABLE issued_files DROP CONSTRAINT issued_files_kind_check,
    ADD CONSTRAINT issued_files_kind_check
        CHECK (kind IN ('report_pdf', 'binder', 'logs_csv', 'compliance_csv', 'corrective_actions_csv', 'audit_jsonl'));

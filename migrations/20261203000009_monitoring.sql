-- Level II monitoring (CDC, Options for Evaluating Environmental Cleaning, 2010): an evaluator's
-- round in one facility checks a sample of surfaces, drawn by the server at random from the
-- facility's scheduled active equipment (all active equipment when none is scheduled) and
-- recorded with the round, for a fluorescent marker removed (yes/no) and/or an ATP reading in
-- RLU against the threshold in force for the round. The evaluator signs the round (who, when,
-- "evaluated", how re-authenticated); the signature seals the round and its results
-- (`app.round_content_hash`, checked by `audit verify`) and from then on nothing of it changes.

CREATE TABLE monitoring_rounds (
    id uuid NOT NULL,
    org_id uuid NOT NULL REFERENCES organizations (id),
    facility_id uuid NOT NULL,
    started_by uuid NOT NULL REFERENCES users (id),
    started_at timestamptz NOT NULL DEFAULT now(),
    sample_percent integer NOT NULL CHECK (sample_percent BETWEEN 5 AND 100),
    -- What each surface is checked for.
    fluorescent boolean NOT NULL,
    atp boolean NOT NULL,
    atp_threshold integer CHECK (atp_threshold BETWEEN 1 AND 100000),
    -- How many were eligible when the sample was drawn (the sample is the rows of monitoring_samples).
    population integer NOT NULL CHECK (population >= 0),
    signed_by uuid REFERENCES users (id),
    signer_name text,
    signature_meaning text CHECK (signature_meaning = 'evaluated'),
    signed_with text CHECK (signed_with IN ('password', 'pin', 'session')),
    signed_at timestamptz,
    content_hash bytea,
    PRIMARY KEY (org_id, id),
    CONSTRAINT monitoring_rounds_id_key UNIQUE (id),
    CONSTRAINT monitoring_rounds_facility_fkey FOREIGN KEY (org_id, facility_id) REFERENCES facilities (org_id, id),
    CONSTRAINT monitoring_rounds_method CHECK (fluorescent OR atp),
    CONSTRAINT monitoring_rounds_threshold CHECK (atp = (atp_threshold IS NOT NULL)),
    CONSTRAINT monitoring_rounds_signed CHECK (
        (signed_at IS NULL) = (signed_by IS NULL) AND (signed_at IS NULL) = (signer_name IS NULL)
        AND (signed_at IS NULL) = (signature_meaning IS NULL) AND (signed_at IS NULL) = (content_hash IS NULL))
);
CREATE INDEX monitoring_rounds_facility_idx ON monitoring_rounds (org_id, facility_id, started_at DESC);

CREATE TABLE monitoring_samples (
    org_id uuid NOT NULL,
    round_id uuid NOT NULL,
    position integer NOT NULL CHECK (position >= 1),
    equipment_id uuid NOT NULL,
    marker_removed boolean,
    atp_rlu integer CHECK (atp_rlu BETWEEN 0 AND 10000000),
    notes text CHECK (char_length(notes) <= 500),
    recorded_by uuid REFERENCES users (id),
    recorded_at timestamptz,
    PRIMARY KEY (org_id, round_id, position),
    CONSTRAINT monitoring_samples_equipment_key UNIQUE (org_id, round_id, equipment_id),
    CONSTRAINT monitoring_samples_round_fkey FOREIGN KEY (org_id, round_id) REFERENCES monitoring_rounds (org_id, id),
    CONSTRAINT monitoring_samples_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id)
);

-- Canonical text of a round and its results, hashed when it is signed (like a cleaning log's).
CREATE FUNCTION app.round_content_hash(r monitoring_rounds) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        'cleantrack-round-v1', r.id::text, r.org_id::text, r.facility_id::text, r.started_by::text,
        app.utc(r.started_at), r.sample_percent::text, r.fluorescent::text, r.atp::text, r.atp_threshold::text,
        r.population::text, r.signed_by::text, r.signer_name, r.signature_meaning, r.signed_with, app.utc(r.signed_at),
        (SELECT string_agg(concat_ws('|', s.position, s.equipment_id, coalesce(s.marker_removed::text, '\N'),
                                     coalesce(s.atp_rlu::text, '\N'), coalesce(s.notes, '\N')), E'\n' ORDER BY s.position)
         FROM public.monitoring_samples s WHERE s.org_id = r.org_id AND s.round_id = r.id)],
        E'\n', '\N'), 'UTF8'))
$$;

-- A signed round never changes; the sample drawn never changes; a result is recorded while the
-- round is open.
CREATE FUNCTION app.guard_monitoring_round() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed monitoring round is never changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.id, NEW.org_id, NEW.facility_id, NEW.started_by, NEW.started_at, NEW.sample_percent, NEW.fluorescent, NEW.atp,
        NEW.atp_threshold, NEW.population)
       IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.facility_id, OLD.started_by, OLD.started_at, OLD.sample_percent,
        OLD.fluorescent, OLD.atp, OLD.atp_threshold, OLD.population) THEN
        RAISE EXCEPTION 'how a monitoring round was set up never changes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.signed_at IS NOT NULL THEN
        NEW.content_hash := app.round_content_hash(NEW);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard BEFORE UPDATE ON monitoring_rounds FOR EACH ROW EXECUTE FUNCTION app.guard_monitoring_round();
CREATE TRIGGER monitoring_rounds_no_delete BEFORE DELETE ON monitoring_rounds FOR EACH ROW EXECUTE FUNCTION app.refuse_delete();

CREATE FUNCTION app.guard_monitoring_sample() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.org_id, NEW.round_id, NEW.position, NEW.equipment_id)
        IS DISTINCT FROM (OLD.org_id, OLD.round_id, OLD.position, OLD.equipment_id) THEN
        RAISE EXCEPTION 'the sample drawn for a monitoring round never changes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM public.monitoring_rounds r WHERE r.org_id = OLD.org_id AND r.id = OLD.round_id AND r.signed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a signed monitoring round is never changed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard BEFORE UPDATE OR DELETE ON monitoring_samples FOR EACH ROW EXECUTE FUNCTION app.guard_monitoring_sample();

ALTER TABLE monitoring_rounds ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitoring_rounds FORCE ROW LEVEL SECURITY;
CREATE POLICY monitoring_rounds_backup_reads ON monitoring_rounds FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY monitoring_rounds_tenant ON monitoring_rounds
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY monitoring_rounds_guest_scope ON monitoring_rounds AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR facility_id = ANY ((SELECT app.visible_facilities())::uuid[]));
CREATE POLICY monitoring_rounds_verifier_reads ON monitoring_rounds FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');
ALTER TABLE monitoring_samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitoring_samples FORCE ROW LEVEL SECURITY;
CREATE POLICY monitoring_samples_backup_reads ON monitoring_samples FOR SELECT USING ((SELECT app.is_backup()));
CREATE POLICY monitoring_samples_tenant ON monitoring_samples
    USING (org_id = (SELECT app.current_org_id())) WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY monitoring_samples_guest_scope ON monitoring_samples AS RESTRICTIVE
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
CREATE POLICY monitoring_samples_verifier_reads ON monitoring_samples FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON monitoring_rounds
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON monitoring_samples
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'round_id');

-- The evaluation rounds are issued as PDF summaries too.
ALTER TABLE issued_files DROP CONSTRAINT issued_files_kind_check,
    ADD CONSTRAINT issued_files_kind_check
        CHECK (kind IN ('report_pdf', 'binder', 'logs_csv', 'compliance_csv', 'corrective_actions_csv', 'monitoring_pdf',
                        'audit_jsonl'));

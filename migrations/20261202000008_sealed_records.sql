-- Every signature is bound to exactly what was signed (21 CFR Part 11 §11.70): the database
-- stores, with each cleaning log and each verification, the SHA-256 of its signed fields,
-- computed as the row is written. `cleantrack audit verify` (and the audit page's check)
-- recompute them and name the first record whose content no longer matches. The hashes are in
-- the audit trail too (captured with the row), so rewriting a record and its hash also breaks
-- the chain.
--
-- The canonical text: a version tag, then each field on its own line, NULL as \N, times in UTC
-- to the microsecond, the checklist as Postgres prints jsonb (keys sorted, one form per value).

ALTER TABLE cleaning_logs ADD COLUMN content_hash bytea;
ALTER TABLE verifications ADD COLUMN content_hash bytea;

CREATE FUNCTION app.utc(at timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE FUNCTION app.log_content_hash(l cleaning_logs) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        'cleantrack-log-v1', l.id::text, l.org_id::text, l.equipment_id::text, l.protocol_id::text,
        l.protocol_version::text, l.performed_by::text, l.signer_name, l.signature_meaning,
        app.utc(l.performed_at), app.utc(l.received_at), l.checklist::text, l.outcome, l.notes,
        l.amends::text, l.amendment_reason, l.no_protocol_reason, l.late_entry::text,
        l.late_entry_reason, l.entered_offline::text], E'\n', '\N'), 'UTF8'))
$$;

-- A verification signs the log as it was: its hash includes the log's.
CREATE FUNCTION app.verification_content_hash(v verifications, log_hash bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        'cleantrack-verification-v1', v.org_id::text, v.log_id::text, v.verified_by::text, v.signer_name,
        v.signature_meaning, app.utc(v.verified_at), encode(log_hash, 'hex')], E'\n', '\N'), 'UTF8'))
$$;

-- After `mark_late_entry` (triggers of one timing fire in name order), so the mark is sealed too.
CREATE FUNCTION app.seal_log() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.content_hash := app.log_content_hash(NEW);
    RETURN NEW;
END
$$;
CREATE TRIGGER seal_record BEFORE INSERT ON cleaning_logs FOR EACH ROW EXECUTE FUNCTION app.seal_log();

CREATE FUNCTION app.seal_verification() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.content_hash := app.verification_content_hash(NEW,
        (SELECT l.content_hash FROM cleaning_logs l WHERE l.org_id = NEW.org_id AND l.id = NEW.log_id));
    RETURN NEW;
END
$$;
CREATE TRIGGER seal_record BEFORE INSERT ON verifications FOR EACH ROW EXECUTE FUNCTION app.seal_verification();

-- `cleantrack audit verify` reads the records too, in the same read-only transaction that names
-- its purpose (see audit_events_verifier_reads).
CREATE POLICY cleaning_logs_verifier_reads ON cleaning_logs FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');
CREATE POLICY verifications_verifier_reads ON verifications FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');

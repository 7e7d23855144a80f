-- Contemporaneous records (21 CFR 211.182, Part 11 §11.10(e)): the server's receipt time is the
-- record time; the device's "performed at" is kept beside it. A log performed more than the
-- organization's window before it reached the server is a *late entry*: it carries the signer's
-- reason, or (for a cleaning captured on a phone without a connection and sent later) the mark
-- that it was entered offline, its capture time being `performed_at` and its sync `received_at`.

ALTER TABLE organizations
    ADD COLUMN late_entry_minutes integer NOT NULL DEFAULT 30 CHECK (late_entry_minutes BETWEEN 5 AND 1440);

ALTER TABLE cleaning_logs
    ADD COLUMN late_entry boolean NOT NULL DEFAULT false,
    ADD COLUMN late_entry_reason text CHECK (char_length(late_entry_reason) <= 500),
    ADD COLUMN entered_offline boolean NOT NULL DEFAULT false,
    -- A late entry says why, or that it was captured offline.
    ADD CONSTRAINT cleaning_logs_late_entry_explained
        CHECK (NOT late_entry OR entered_offline OR nullif(btrim(late_entry_reason), '') IS NOT NULL) NOT VALID,
    -- Nothing performed after the server received it (10 minutes of clock skew allowed).
    ADD CONSTRAINT cleaning_logs_not_in_the_future
        CHECK (performed_at <= received_at + interval '10 minutes') NOT VALID;

-- The database, not the caller, decides whether an entry is late: from the two times and the
-- organization's window as it is when the log is written.
CREATE FUNCTION app.mark_late_entry() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A correction carries the original's time and its own reason: never a late entry.
    NEW.late_entry := NEW.amends IS NULL AND NEW.performed_at < NEW.received_at - make_interval(mins => (
        SELECT late_entry_minutes FROM organizations WHERE id = NEW.org_id));
    RETURN NEW;
END
$$;
CREATE TRIGGER mark_late_entry BEFORE INSERT ON cleaning_logs
    FOR EACH ROW EXECUTE FUNCTION app.mark_late_entry();

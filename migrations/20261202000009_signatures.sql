-- Electronic signatures per 21 CFR Part 11 §11.50, §11.100 and §11.200.
--
-- * Every account has a legal name, the name printed under its signatures. It starts as the name
--   given at registration and changes only with a reason (the users audit trigger records the
--   change, the reason with it); the display name stays free to edit.
-- * A personal signing PIN (argon2, never copied into the trail) lets later signings in a session
--   re-authenticate with one component only the signer knows; five wrong PINs in a row lock it
--   until the signer signs with their password.
-- * Each signature stores how it was re-authenticated ('password', 'pin', or 'session' when the
--   organization had strict signatures off), sealed with the record.
-- * Strict signatures are on for new organizations; turning them off needs a reason, kept on the
--   organization row (and so in the trail with the change).

ALTER TABLE users
    ADD COLUMN legal_name text,
    ADD COLUMN legal_name_reason text,
    ADD COLUMN signing_pin_hash text,
    ADD COLUMN pin_failures integer NOT NULL DEFAULT 0;
-- Accounts from before this: the name they registered with is the best record of who they are.
UPDATE users SET legal_name = display_name;

CREATE FUNCTION app.user_legal_name() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.legal_name := coalesce(nullif(btrim(NEW.legal_name), ''), NEW.display_name);
    ELSIF NEW.legal_name IS DISTINCT FROM OLD.legal_name
          AND (coalesce(btrim(NEW.legal_name_reason), '') = '' OR NEW.legal_name_reason IS NOT DISTINCT FROM OLD.legal_name_reason) THEN
        RAISE EXCEPTION 'a legal name changes only with a new reason' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER legal_name BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION app.user_legal_name();

ALTER TABLE users
    ALTER COLUMN legal_name SET NOT NULL,
    ADD CONSTRAINT users_legal_name_length CHECK (char_length(legal_name) BETWEEN 1 AND 200);

-- The PIN's hash joins the password's among the values the trail never holds.
DROP TRIGGER audit ON users;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('', 'id', 'password_hash', 'signing_pin_hash');

ALTER TABLE cleaning_logs ADD COLUMN signed_with text CHECK (signed_with IN ('password', 'pin', 'session'));
ALTER TABLE verifications ADD COLUMN signed_with text CHECK (signed_with IN ('password', 'pin', 'session'));

-- Records signed from now on seal how they were signed too (v2); older ones keep their v1 text,
-- so their stored hashes still match.
CREATE OR REPLACE FUNCTION app.log_content_hash(l cleaning_logs) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        CASE WHEN l.signed_with IS NULL THEN 'cleantrack-log-v1' ELSE 'cleantrack-log-v2' END,
        l.id::text, l.org_id::text, l.equipment_id::text, l.protocol_id::text,
        l.protocol_version::text, l.performed_by::text, l.signer_name, l.signature_meaning,
        app.utc(l.performed_at), app.utc(l.received_at), l.checklist::text, l.outcome, l.notes,
        l.amends::text, l.amendment_reason, l.no_protocol_reason, l.late_entry::text,
        l.late_entry_reason, l.entered_offline::text]
        || CASE WHEN l.signed_with IS NULL THEN '{}'::text[] ELSE ARRAY[l.signed_with] END, E'\n', '\N'), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION app.verification_content_hash(v verifications, log_hash bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        CASE WHEN v.signed_with IS NULL THEN 'cleantrack-verification-v1' ELSE 'cleantrack-verification-v2' END,
        v.org_id::text, v.log_id::text, v.verified_by::text, v.signer_name,
        v.signature_meaning, app.utc(v.verified_at), encode(log_hash, 'hex')]
        || CASE WHEN v.signed_with IS NULL THEN '{}'::text[] ELSE ARRAY[v.signed_with] END, E'\n', '\N'), 'UTF8'))
$$;

ALTER TABLE organizations
    ALTER COLUMN strict_signatures SET DEFAULT true,
    ADD COLUMN strict_off_reason text;

-- Off only with a reason given with that change; on again clears it.
CREATE FUNCTION app.strict_signatures_reason() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.strict_signatures THEN
        NEW.strict_off_reason := NULL;
    ELSIF (TG_OP = 'INSERT' OR OLD.strict_signatures) AND coalesce(btrim(NEW.strict_off_reason), '') = '' THEN
        RAISE EXCEPTION 'strict signatures are turned off only with a reason' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER strict_signatures_reason BEFORE INSERT OR UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION app.strict_signatures_reason();

-- Organizations that had them off before this change keep them off, and say why.
UPDATE organizations SET strict_off_reason = 'Off before signatures were re-authenticated by default (setting kept)'
    WHERE NOT strict_signatures;

-- Checklists that measure: a protocol step is a tick-box, a reading with its unit and acceptance
-- range, or free text (the JSON of `protocol_versions.steps`, see `model::protocols::Step`); a
-- version never changes, so it records the ranges in force. A log's checklist says, per step,
-- pass, fail or not applicable (with the reason) and what was read or written.
--
-- Two settings per version: `contact_timed` (the phone times the wet contact; a log signed before
-- `contact_time_minutes` have passed since application is refused, and the elapsed time is
-- stored) and `product_lot_required` (the disinfectant's lot and expiry are recorded; an expired
-- lot is refused). Versions written before keep both off: nothing changes for them.
ALTER TABLE protocol_versions
    ADD COLUMN contact_timed boolean NOT NULL DEFAULT false,
    ADD COLUMN product_lot_required boolean NOT NULL DEFAULT false;

ALTER TABLE cleaning_logs
    ADD COLUMN product_lot text CHECK (char_length(product_lot) BETWEEN 1 AND 60),
    ADD COLUMN product_expiry date,
    -- When the disinfectant went on (the device's clock, like `performed_at`), and the seconds
    -- from then to the signing.
    ADD COLUMN contact_started_at timestamptz,
    ADD COLUMN contact_seconds integer CHECK (contact_seconds >= 0),
    ADD CONSTRAINT cleaning_logs_contact_both CHECK ((contact_started_at IS NULL) = (contact_seconds IS NULL)),
    ADD CONSTRAINT cleaning_logs_product_both CHECK ((product_lot IS NULL) = (product_expiry IS NULL));

-- Logs that carry a product or a contact time seal them too (v3); logs without keep their v1/v2
-- text, so every stored hash still matches. Setting one of these fields on an older log changes
-- its tag and therefore its hash: `audit verify` names it.
CREATE OR REPLACE FUNCTION app.log_content_hash(l cleaning_logs) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(array_to_string(ARRAY[
        CASE WHEN l.product_lot IS NOT NULL OR l.contact_seconds IS NOT NULL THEN 'cleantrack-log-v3'
             WHEN l.signed_with IS NULL THEN 'cleantrack-log-v1' ELSE 'cleantrack-log-v2' END,
        l.id::text, l.org_id::text, l.equipment_id::text, l.protocol_id::text,
        l.protocol_version::text, l.performed_by::text, l.signer_name, l.signature_meaning,
        app.utc(l.performed_at), app.utc(l.received_at), l.checklist::text, l.outcome, l.notes,
        l.amends::text, l.amendment_reason, l.no_protocol_reason, l.late_entry::text,
        l.late_entry_reason, l.entered_offline::text]
        || CASE WHEN l.signed_with IS NULL AND l.product_lot IS NULL AND l.contact_seconds IS NULL THEN '{}'::text[]
                ELSE ARRAY[l.signed_with] END
        || CASE WHEN l.product_lot IS NULL AND l.contact_seconds IS NULL THEN '{}'::text[]
                ELSE ARRAY[l.product_lot, l.product_expiry::text, app.utc(l.contact_started_at), l.contact_seconds::text] END,
        E'\n', '\N'), 'UTF8'))
$$;

-- The sticker page carries the version's settings (the history its new fields: see the
-- corrective actions migration, which adds their state too).
CREATE OR REPLACE FUNCTION app.equipment_page(in_org uuid, in_equipment uuid, shown integer) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT row_to_json(page)
        FROM (
            SELECT e.name, e.kind, e.location, e.serial, e.risk_level, e.short_code,
                   f.name AS facility_name, f.time_zone,
                   p.name || ' v' || p.current_version AS protocol, v.steps,
                   v.disinfectant, v.contact_time_minutes, v.contact_timed, v.product_lot_required,
                   o.strict_signatures, o.late_entry_minutes,
                   s.unit AS schedule_unit, s.every_n AS schedule_every, s.weekdays AS schedule_weekdays,
                   to_char(s.due_time, 'HH24:MI') AS schedule_due_time,
                   app.local_time(d.last_cleaned_at, d.time_zone) AS last_cleaned,
                   app.local_time(d.next_due_at, d.time_zone) AS next_due,
                   coalesce(d.next_due_at < now(), false) AS overdue,
                   app.equipment_history(e.org_id, e.id, shown) AS history
            FROM equipment e
            JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
            JOIN organizations o ON o.id = e.org_id
            LEFT JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id
            LEFT JOIN protocol_versions v
                   ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version
            LEFT JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id
            LEFT JOIN equipment_due d ON d.org_id = e.org_id AND d.equipment_id = e.id
            WHERE e.org_id = in_org AND e.id = in_equipment
        ) page
    );
END
$$;

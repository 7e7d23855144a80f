-- A signed-in sticker scan in one statement. The page used to take five round trips (BEGIN, the
-- entry, the page's query, COMMIT, and the pool's ping before lending the connection); each one
-- costs the server and Postgres a wake-up and a few syscalls, which on the QR page weighed as much
-- as the queries themselves. `app.scan` runs outside any explicit transaction: its settings are
-- transaction-local, so they last until the end of this one statement (its implicit
-- transaction) and never reach the next user of the pooled connection. The queries live in
-- plpgsql, which keeps their plans for the connection's life (a SQL function that is not inlined
-- is planned again on every call).

-- The latest `shown` cleanings of a piece of equipment, newest first, with their signatures,
-- corrections and photos, times in the facility's zone: a JSON array. Used by the sticker page
-- (inside `app.equipment_page`) and by the equipment's history in the app (`logs::history`).
CREATE FUNCTION app.equipment_history(in_org uuid, in_equipment uuid, shown integer) RETURNS json
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
                   coalesce(pv.verification_required, false) AS verification_required
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

-- What a member scanning the sticker of `in_equipment` sees: the equipment, its facility and
-- protocol, the organization's signing settings, its schedule and when it is next due, and the
-- latest `shown` cleanings. A JSON object (`stickers::ScannedRow`); NULL when it is not visible.
CREATE FUNCTION app.equipment_page(in_org uuid, in_equipment uuid, shown integer) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT row_to_json(page)
        FROM (
            SELECT e.name, e.kind, e.location, e.serial, e.risk_level, e.short_code,
                   f.name AS facility_name, f.time_zone,
                   p.name || ' v' || p.current_version AS protocol, v.steps,
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

-- A signed-in member's scan: the entry of `app.enter_by_sticker` (the sticker's equipment, if
-- `member` is an active member of its organization who may see it), then that equipment's page
-- in the organization entered. No row when the sticker is unknown, replaced or retired or the
-- person is not a member there. A guest (an inspector) gets the entry and no page: the view of
-- a guest is recorded in the audit trail before the page is read, in a transaction of its own.
CREATE FUNCTION app.scan(token text, member uuid, names text[], vals text[], shown integer)
    RETURNS TABLE (entered_org uuid, entered_equipment uuid, entered_role member_role,
                   entered_facilities uuid[], page text)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    hit record;
BEGIN
    SELECT * INTO hit FROM app.enter_by_sticker(token, member, names, vals);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT hit.entered_org, hit.entered_equipment, hit.entered_role, hit.entered_facilities,
        CASE WHEN hit.entered_role = 'inspector' THEN NULL
             ELSE app.equipment_page(hit.entered_org, hit.entered_equipment, shown)::text END;
END
$$;

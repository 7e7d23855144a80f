-- Two definitions that Rust used to splice into several queries as text, now views, so every
-- query that reads them is one literal checked at compile time (sqlx::query!). Both are
-- security_invoker: row-level security applies as the caller, like `equipment_due`.

-- Where each piece of equipment stands against its schedule, times in its facility's zone: read
-- by `schedules::status`, the equipment list and the PDF report. (`app.equipment_page`, the QR
-- page's one statement, selects the same columns from the same joins.)
CREATE VIEW equipment_status WITH (security_invoker = true) AS
SELECT e.org_id,
       e.id AS equipment_id,
       s.unit AS schedule_unit,
       s.every_n AS schedule_every,
       s.weekdays AS schedule_weekdays,
       to_char(s.due_time, 'HH24:MI') AS schedule_due_time,
       app.local_time(d.last_cleaned_at, d.time_zone) AS last_cleaned,
       app.local_time(d.next_due_at, d.time_zone) AS next_due,
       coalesce(d.next_due_at < now(), false) AS overdue
FROM equipment e
LEFT JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id
LEFT JOIN equipment_due d ON d.org_id = e.org_id AND d.equipment_id = e.id;

-- Cleanings awaiting the second signature their protocol version requires (corrected ones
-- excepted: their correction is what is reviewed), with the organization's deadline: read by the
-- review queue, its counts and the daily digest.
CREATE VIEW awaiting_reviews WITH (security_invoker = true) AS
SELECT l.org_id,
       l.id AS log_id,
       e.id AS equipment_id,
       e.facility_id,
       e.name AS equipment,
       f.name AS facility,
       f.time_zone,
       (SELECT p.name FROM protocols p WHERE p.org_id = l.org_id AND p.id = l.protocol_id)
           || ' v' || l.protocol_version AS protocol,
       l.outcome,
       l.performed_by,
       l.signer_name,
       l.performed_at,
       l.received_at,
       o.review_days,
       l.received_at < now() - make_interval(days => o.review_days) AS overdue
FROM cleaning_logs l
JOIN protocol_versions v ON v.org_id = l.org_id AND v.protocol_id = l.protocol_id AND v.version = l.protocol_version
JOIN equipment e ON e.org_id = l.org_id AND e.id = l.equipment_id
JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
JOIN organizations o ON o.id = l.org_id
WHERE v.verification_required
  AND NOT EXISTS (SELECT 1 FROM verifications w WHERE w.org_id = l.org_id AND w.log_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id);

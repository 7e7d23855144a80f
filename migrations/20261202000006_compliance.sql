-- The one definition of compliance. The overview, the CSV exports and the PDF report all read
-- their figures from `app.compliance_occasions`, so the same organization, facility and days
-- give the same numbers everywhere. In words (the pages and reports print this too, from
-- `model::compliance::DEFINITION`):
--
-- * A scheduled piece of equipment comes due at its next-due time (`app.next_due`, from the
--   counting cleaning before it). Each time it came due is one occasion.
-- * A cleaning counts when it passed and was not corrected by a later log (the correction
--   counts instead, at the time it gives). Failed cleanings do not count: the equipment stays
--   due.
-- * An occasion is met by the next counting cleaning: *on time* when it was performed by the
--   due time and recorded then; *entered late* when performed by the due time but recorded
--   later than the organization's window (a late entry: the record was not contemporaneous);
--   *late* when performed after the due time; *awaiting verification* while its protocol
--   requires a second signature not given yet. It is *not done* while no counting cleaning has
--   followed and the due time has passed (once, however long the equipment has been overdue).
-- * An occasion belongs to the days on which it was settled: the earlier of its due time and
--   the cleaning that answered it, in the facility's time zone. Cleanings of equipment without
--   a schedule, and cleanings from before its schedule started, are activity, not occasions.
--   "Counts" is written out below, as in the `equipment_due` view: a predicate inline, because
--   Postgres cannot inline a function holding a subquery, and these run once per log.

-- How a counting cleaning met the occasion it answered (the order of the rules above).
CREATE FUNCTION app.occasion_met(performed timestamptz, due timestamptz, late_entry boolean, pending boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN pending THEN 'pending' WHEN performed > due THEN 'late'
                WHEN late_entry THEN 'late_entry' ELSE 'on_time' END
$$;

-- Whether a log waits for the second signature its protocol version requires. A table function,
-- used in LATERAL, so that it is inlined (see `app.answered_due`).
CREATE FUNCTION app.awaiting_verification(org uuid, log uuid, protocol uuid, protocol_version integer)
    RETURNS TABLE (pending boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT v.verification_required FROM protocol_versions v
                     WHERE v.org_id = org AND v.protocol_id = protocol AND v.version = protocol_version), false)
       AND NOT EXISTS (SELECT 1 FROM verifications w WHERE w.org_id = org AND w.log_id = log)
$$;

-- The due time a counting cleaning of `equipment` performed at `performed` answered: the next
-- due time after the counting cleaning before it. No row when the equipment has no schedule or
-- the cleaning came before the schedule started. A table function, used in LATERAL, so that
-- Postgres inlines it into the calling query (it cannot inline a scalar function holding a
-- subquery, and a call per log costs ten times the lookup).
CREATE FUNCTION app.answered_due(org uuid, equipment uuid, performed timestamptz)
    RETURNS TABLE (due_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT app.next_due(previous.performed_at, s.starts_at, s.unit, s.every_n, s.weekdays, s.due_time, f.time_zone)
    FROM schedules s
    JOIN equipment e ON e.org_id = s.org_id AND e.id = s.equipment_id
    JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
    LEFT JOIN LATERAL (
        SELECT p.performed_at FROM cleaning_logs p
        WHERE p.org_id = s.org_id AND p.equipment_id = s.equipment_id AND p.performed_at < performed
          AND p.outcome = 'pass'
          AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = p.org_id AND a.amends = p.id)
        ORDER BY p.performed_at DESC LIMIT 1) previous ON true
    WHERE s.org_id = org AND s.equipment_id = equipment AND performed >= s.starts_at
$$;

-- Every occasion of the organization's scheduled equipment (of one facility or one piece when
-- given) settled in the period, with how it was met: 'on_time', 'late_entry', 'late', 'pending'
-- or 'not_done'.
-- The period is the facility's local days `from_day` to `to_day` inclusive, or the last
-- `last_days` local days up to now; NULL bounds are open. Nothing after now is settled.
-- Runs with the caller's rights: row-level security applies as everywhere.
CREATE FUNCTION app.compliance_occasions(
    org uuid, facility uuid, equipment uuid, from_day date, to_day date, last_days integer
) RETURNS TABLE (equipment_id uuid, due_at timestamptz, log_id uuid, performed_at timestamptz, met text)
    LANGUAGE sql STABLE
    AS $$
    WITH scope AS (
        SELECT e.id, e.status,
               (coalesce(from_day, (now() AT TIME ZONE f.time_zone)::date - (last_days - 1))::timestamp
                    AT TIME ZONE f.time_zone) AS starts,
               least(now(), (to_day + 1)::timestamp AT TIME ZONE f.time_zone) AS ends
        FROM equipment e
        JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
        JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id
        WHERE e.org_id = org AND (facility IS NULL OR e.facility_id = facility)
          AND (equipment IS NULL OR e.id = equipment)),
    answered AS MATERIALIZED (
        SELECT l.equipment_id, d.due_at, l.id, l.performed_at, scope.starts, scope.ends, l.late_entry, w.pending
        FROM scope
        JOIN cleaning_logs l ON l.org_id = org AND l.equipment_id = scope.id
        CROSS JOIN LATERAL app.answered_due(org, l.equipment_id, l.performed_at) d
        CROSS JOIN LATERAL app.awaiting_verification(l.org_id, l.id, l.protocol_id, l.protocol_version) w
        WHERE (scope.starts IS NULL OR l.performed_at >= scope.starts)
          -- The earliest start of all, as a constant: lets the (org, performed_at) index skip
          -- the history before the period.
          AND l.performed_at >= coalesce((SELECT min(starts) FROM scope), '-infinity')
          AND l.outcome = 'pass'
          AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id))
    SELECT a.equipment_id, a.due_at, a.id, a.performed_at,
           app.occasion_met(a.performed_at, a.due_at, a.late_entry, a.pending)
    FROM answered a
    WHERE a.due_at IS NOT NULL
      AND (a.starts IS NULL OR least(a.due_at, a.performed_at) >= a.starts)
      AND least(a.due_at, a.performed_at) < a.ends
    UNION ALL
    SELECT d.equipment_id, d.next_due_at, NULL, NULL, 'not_done'
    FROM equipment_due d
    JOIN scope ON scope.id = d.equipment_id
    WHERE d.org_id = org AND (scope.starts IS NULL OR d.next_due_at >= scope.starts) AND d.next_due_at < scope.ends
$$;


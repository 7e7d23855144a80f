-- Cleaning schedules, and the rule that turns a schedule and the last cleaning into "next due"
-- and "overdue since". The rule lives here, in SQL, so that lists of thousands of pieces of
-- equipment (and the daily digest) compute it in one query.

CREATE TABLE schedules (
    org_id uuid NOT NULL,
    equipment_id uuid NOT NULL,
    -- 'hours', 'days', 'weeks': every `every_n` of them after the last cleaning;
    -- 'weekdays': on each of `weekdays` (ISO: 1 = Monday … 7 = Sunday) by `due_time`.
    unit text NOT NULL CHECK (unit IN ('hours', 'days', 'weeks', 'weekdays')),
    every_n integer,
    weekdays smallint[],
    due_time time,
    -- Before the first cleaning, intervals count from here.
    starts_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, equipment_id),
    CONSTRAINT schedules_equipment_fkey FOREIGN KEY (org_id, equipment_id) REFERENCES equipment (org_id, id),
    CONSTRAINT schedules_shape CHECK (
        (unit <> 'weekdays' AND every_n BETWEEN 1 AND 1000 AND weekdays IS NULL AND due_time IS NULL)
        OR (unit = 'weekdays' AND every_n IS NULL AND due_time IS NOT NULL
            AND cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]))
);

ALTER TABLE schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY schedules_tenant ON schedules
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'equipment_id');

-- When a cleaning is next due, given the last one that counts (NULL: never cleaned).
--
-- * hours: `every_n` hours after the last cleaning, by the clock on the wall of no one
--   (absolute time; a daylight-saving change does not move it).
-- * days, weeks: the same local time of day `every_n` days (weeks) later in the facility's
--   zone, so "daily at 07:00" stays at 07:00 across daylight-saving changes (a 23 or 25 hour
--   day). A local time that does not exist (the spring-forward gap) lands one hour later on
--   the wall clock; one that exists twice (fall-back) means the second, standard-time one.
--   Both are how Postgres reads local times, pinned by the schedule tests.
-- * weekdays: the first listed weekday after the local day of the last cleaning, at
--   `due_time`; a cleaning any time on a scheduled day covers that day, a late one does not
--   cover the next.
-- Never cleaned: counted from `starts_at` as if cleaned then (weekdays: the first slot at or
-- after it), so a new schedule is not overdue the moment it is set.
CREATE FUNCTION app.next_due(
    last_done timestamptz, starts_at timestamptz, unit text, every_n integer,
    weekdays smallint[], due_time time, tz text
) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE
        WHEN unit = 'hours' THEN
            coalesce(last_done, starts_at) + make_interval(hours => every_n)
        WHEN unit IN ('days', 'weeks') THEN
            ((coalesce(last_done, starts_at) AT TIME ZONE tz)
             + make_interval(days => every_n * CASE unit WHEN 'weeks' THEN 7 ELSE 1 END)) AT TIME ZONE tz
        ELSE (
            SELECT min(slot.at)
            FROM (SELECT CASE WHEN last_done IS NULL THEN (starts_at AT TIME ZONE tz)::date
                              ELSE (last_done AT TIME ZONE tz)::date + 1 END AS first_day) base,
                 generate_series(0, 7) AS k,
                 LATERAL (SELECT base.first_day + k AS day, ((base.first_day + k) + due_time) AT TIME ZONE tz AS at) slot
            WHERE extract(isodow FROM slot.day)::smallint = ANY (weekdays)
              AND (last_done IS NOT NULL OR slot.at >= starts_at))
    END
$$;

-- Which cleanings count: passed, and not corrected by a later log (the correction counts instead).
CREATE INDEX cleaning_logs_amends_idx ON cleaning_logs (org_id, amends) WHERE amends IS NOT NULL;

-- Every active piece of equipment with its last counting cleaning and, when scheduled, when it
-- is next due. Runs with the caller's rights, so row-level security applies as usual.
CREATE VIEW equipment_due WITH (security_invoker = true) AS
SELECT e.org_id,
       e.id AS equipment_id,
       e.facility_id,
       f.time_zone,
       last.performed_at AS last_cleaned_at,
       CASE WHEN s.equipment_id IS NOT NULL
            THEN app.next_due(last.performed_at, s.starts_at, s.unit, s.every_n, s.weekdays, s.due_time, f.time_zone)
       END AS next_due_at
FROM equipment e
JOIN facilities f ON f.org_id = e.org_id AND f.id = e.facility_id
LEFT JOIN schedules s ON s.org_id = e.org_id AND s.equipment_id = e.id
LEFT JOIN LATERAL (
    SELECT l.performed_at FROM cleaning_logs l
    WHERE l.org_id = e.org_id AND l.equipment_id = e.id AND l.outcome = 'pass'
      AND NOT EXISTS (SELECT 1 FROM cleaning_logs a WHERE a.org_id = l.org_id AND a.amends = l.id)
    ORDER BY l.performed_at DESC LIMIT 1
) last ON true
WHERE e.status = 'active';

-- Per-organization settings of the compliance core.
ALTER TABLE organizations
    -- 21 CFR Part 11 §11.200: the password again at every signing.
    ADD COLUMN strict_signatures boolean NOT NULL DEFAULT false,
    -- Whoever scans a sticker without signing in sees "last cleaned" and "due", no names.
    ADD COLUMN public_status boolean NOT NULL DEFAULT false;

-- The public panel: in a transaction carrying a sticker's token, and only when its organization
-- turned the panel on, the rows needed for "last cleaned" and "due" of that one piece of
-- equipment become readable. The code reading them selects times only.
CREATE FUNCTION app.sticker_equipment() RETURNS TABLE (org_id uuid, id uuid)
    LANGUAGE sql STABLE
    AS $$ SELECT org_id, id FROM equipment WHERE qr_token = nullif(current_setting('app.qr_token', true), '') $$;
CREATE POLICY organizations_sticker_reads ON organizations FOR SELECT
    USING (public_status AND id IN (SELECT org_id FROM app.sticker_equipment()));

-- The sticker's equipment, only if its organization shows the public panel (the organization
-- row is visible above only then).
CREATE FUNCTION app.public_sticker_equipment() RETURNS TABLE (org_id uuid, id uuid, facility_id uuid)
    LANGUAGE sql STABLE
    AS $$
    SELECT e.org_id, e.id, e.facility_id FROM equipment e JOIN organizations o ON o.id = e.org_id
    WHERE e.qr_token = nullif(current_setting('app.qr_token', true), '') AND o.public_status
$$;
CREATE POLICY facilities_sticker_reads ON facilities FOR SELECT
    USING ((org_id, id) IN (SELECT p.org_id, p.facility_id FROM app.public_sticker_equipment() p));
CREATE POLICY schedules_sticker_reads ON schedules FOR SELECT
    USING ((org_id, equipment_id) IN (SELECT p.org_id, p.id FROM app.public_sticker_equipment() p));
CREATE POLICY cleaning_logs_sticker_reads ON cleaning_logs FOR SELECT
    USING ((org_id, equipment_id) IN (SELECT p.org_id, p.id FROM app.public_sticker_equipment() p));

-- Which organizations got their overdue digest on which day: written in the same transaction
-- as the digest emails, so a job that runs twice (a crash after commit, before it was marked
-- done) sends nothing the second time.
CREATE TABLE digest_runs (
    org_id uuid NOT NULL REFERENCES organizations (id),
    day date NOT NULL,
    sent_to integer NOT NULL,
    overdue integer NOT NULL,
    PRIMARY KEY (org_id, day)
);
ALTER TABLE digest_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE digest_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY digest_runs_tenant ON digest_runs
    USING (org_id = app.current_org_id()) WITH CHECK (org_id = app.current_org_id());

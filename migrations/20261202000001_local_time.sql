-- The one way a time is shown to people: in the facility's time zone, to the minute. Pages,
-- the digest and reports call this instead of repeating the format.
CREATE FUNCTION app.local_time(at timestamptz, zone text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(at AT TIME ZONE zone, 'YYYY-MM-DD HH24:MI') $$;

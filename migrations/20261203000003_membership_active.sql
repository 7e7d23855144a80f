-- Whether a membership still grants access: members always, inspectors until their access ends.
-- One definition for the queries in Rust (sign-in, switching organization, the header's list);
-- `app.enter_member` and `app.enter_by_sticker` (migration ..._enter_in_one_round_trip) spell
-- the same condition inline in plpgsql. A SQL function this simple is inlined by the planner.
CREATE FUNCTION app.membership_active(access_until timestamptz) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT access_until IS NULL OR access_until > now() $$;

-- Entering a tenant in one round trip. A tenant transaction used to take three statements
-- before its work (the settings for the person, their membership, the settings for the
-- organization), and a signed-in sticker scan three as well. Each function below does the same
-- steps in the same order, inside one call: plpgsql runs its statements one after the other, so
-- every setting is in place before the query that row-level security checks with it (a single
-- plain statement could not promise that order). The membership is read from the table under
-- row-level security, as before; nothing the caller says about the role is trusted.
--
-- `names`/`vals`: the request's origin for the audit trail (app.ip, app.user_agent).

-- The member's context in organization `wanted` (or their oldest membership when it is NULL):
-- no row when they are not an active member there.
CREATE FUNCTION app.enter_member(member uuid, wanted uuid, names text[], vals text[])
    RETURNS TABLE (entered_org uuid, entered_role member_role, entered_facilities uuid[])
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    hit record;
BEGIN
    PERFORM set_config(s.n, s.v, true) FROM unnest(names, vals) AS s(n, v);
    PERFORM set_config('app.user_id', member::text, true);
    SELECT m.org_id, m.role, m.facility_ids INTO hit FROM memberships m
     WHERE m.user_id = member AND (wanted IS NULL OR m.org_id = wanted)
       AND (m.access_until IS NULL OR m.access_until > now())  -- as MEMBERSHIP_ACTIVE in scope.rs
     ORDER BY m.created_at LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('app.org_id', hit.org_id::text, true);
    PERFORM set_config('app.facility_ids', coalesce(hit.facility_ids::text, ''), true);
    RETURN QUERY SELECT hit.org_id, hit.role, hit.facility_ids;
END
$$;

-- A signed-in scan: the active equipment whose sticker is `token`, if `member` may see it
-- (an active member of its organization, and for an inspector one of their facilities); the
-- transaction then continues in that organization and no longer sees by sticker.
CREATE FUNCTION app.enter_by_sticker(token text, member uuid, names text[], vals text[])
    RETURNS TABLE (entered_org uuid, entered_equipment uuid, entered_role member_role, entered_facilities uuid[])
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    hit record;
BEGIN
    PERFORM set_config(s.n, s.v, true) FROM unnest(names, vals) AS s(n, v);
    PERFORM set_config('app.qr_token', token, true);
    PERFORM set_config('app.user_id', member::text, true);
    SELECT e.org_id, e.id, m.role, m.facility_ids INTO hit FROM equipment e
      JOIN memberships m ON m.org_id = e.org_id AND m.user_id = member
       AND (m.access_until IS NULL OR m.access_until > now())  -- as MEMBERSHIP_ACTIVE in scope.rs
     WHERE e.qr_token = token AND e.status = 'active'
       AND (m.facility_ids IS NULL OR e.facility_id = ANY (m.facility_ids));
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('app.org_id', hit.org_id::text, true);
    PERFORM set_config('app.qr_token', '', true);
    PERFORM set_config('app.facility_ids', coalesce(hit.facility_ids::text, ''), true);
    RETURN QUERY SELECT hit.org_id, hit.id, hit.role, hit.facility_ids;
END
$$;

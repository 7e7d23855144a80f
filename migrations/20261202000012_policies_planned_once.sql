-- Row-level security that does not multiply every query's plan.
--
-- A policy's condition is planned into every query on its table. Conditions that held a
-- subquery (an inspector's facility scope, the sticker and invitation reads, an organization's
-- members) brought the policies of the tables they read into the plan too, and theirs brought
-- others: the sticker page's one query had 212 subplans, most never executed, and Postgres spent
-- 19 ms planning it and 4.5 ms executing it (0.9 ms without row-level security; BENCHMARKS.md).
--
-- Each such subquery now sits inside a plpgsql function, which the planner never inlines: the
-- query's plan holds one function call where the subquery was, and the function plans its own
-- query once per connection, when it is first called. The conditions are the same, row for row;
-- the functions run as the caller (SECURITY INVOKER), so the tables they read stay under their
-- own policies. Tables are named with their schema: pg_dump runs with an empty search_path.

-- Is there a visible row of equipment `org`/`id`? (Inside, the inspector's facility scope of
-- `equipment` applies.)
CREATE FUNCTION app.equipment_visible(org uuid, equipment uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.equipment e WHERE e.org_id = org AND e.id = equipment);
END
$$;

-- Is there a visible log `org`/`id`? (Inside, the scope of `cleaning_logs` applies.)
CREATE FUNCTION app.log_visible(org uuid, log uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.cleaning_logs l WHERE l.org_id = org AND l.id = log);
END
$$;

ALTER POLICY cleaning_logs_guest_scope ON cleaning_logs
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
ALTER POLICY photos_guest_scope ON photos
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
ALTER POLICY schedules_guest_scope ON schedules
    USING ((SELECT app.all_facilities()) OR app.equipment_visible(org_id, equipment_id));
ALTER POLICY log_photos_guest_scope ON log_photos
    USING ((SELECT app.all_facilities()) OR app.log_visible(org_id, log_id));
ALTER POLICY verifications_guest_scope ON verifications
    USING ((SELECT app.all_facilities()) OR app.log_visible(org_id, log_id));

-- Organizations a person may read beside their current one.
CREATE FUNCTION app.is_member_of(org uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.memberships m WHERE m.org_id = org AND m.user_id = app.current_user_id());
END
$$;

CREATE FUNCTION app.is_invited_to(org uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.invitations i
                   WHERE i.org_id = org AND i.token_hash = app.current_invitation_token_hash());
END
$$;

CREATE FUNCTION app.issued_a_file(org uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.issued_files f
                   WHERE f.org_id = org AND f.sha256 = decode(nullif(current_setting('app.file_sha256', true), ''), 'hex'));
END
$$;

ALTER POLICY organizations_member_reads ON organizations USING (app.is_member_of(id));
ALTER POLICY organizations_invitee_reads ON organizations USING (app.is_invited_to(id));
ALTER POLICY organizations_of_an_issued_file ON organizations USING (app.issued_a_file(id));

-- The same bodies as before, in plpgsql so that they are called, not inlined.
CREATE OR REPLACE FUNCTION app.is_platform_operator() RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce((SELECT is_platform_operator FROM public.users WHERE id = app.current_user_id()), false);
END
$$;

CREATE OR REPLACE FUNCTION app.sticker_equipment() RETURNS TABLE (org_id uuid, id uuid)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT e.org_id, e.id FROM public.equipment e
                 WHERE e.qr_token = nullif(current_setting('app.qr_token', true), '');
END
$$;

CREATE OR REPLACE FUNCTION app.public_sticker_equipment() RETURNS TABLE (org_id uuid, id uuid, facility_id uuid)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT e.org_id, e.id, e.facility_id FROM public.equipment e JOIN public.organizations o ON o.id = e.org_id
                 WHERE e.qr_token = nullif(current_setting('app.qr_token', true), '') AND o.public_status;
END
$$;

-- The sticker page's history: the latest logs of one piece of equipment by time of receipt.
CREATE INDEX cleaning_logs_received_idx ON cleaning_logs (org_id, equipment_id, received_at DESC);

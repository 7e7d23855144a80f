-- Backups (scripts/backup_db.sh) run pg_dump as the application's own role, as on managed hosts
-- where no superuser is at hand. Row-level security binds that role too (FORCE), so a plain dump
-- would see no tenant's rows; these policies let a read-only transaction that names the backup
-- purpose read every row. Like the scheduler's and the verifier's, the purpose is only ever named
-- by a tool outside the request path, and a read-only transaction can change nothing.
CREATE FUNCTION app.is_backup() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.purpose', true) = 'backup' AND current_setting('transaction_read_only') = 'on' $$;

-- pg_dump runs with an empty search_path: functions that policies call must name their tables
-- with the schema (left unqualified, they fail during a dump). Same bodies otherwise.
CREATE OR REPLACE FUNCTION app.is_platform_operator() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT is_platform_operator FROM public.users WHERE id = app.current_user_id()), false) $$;
CREATE OR REPLACE FUNCTION app.sticker_equipment() RETURNS TABLE (org_id uuid, id uuid)
    LANGUAGE sql STABLE
    AS $$ SELECT org_id, id FROM public.equipment WHERE qr_token = nullif(current_setting('app.qr_token', true), '') $$;
CREATE OR REPLACE FUNCTION app.public_sticker_equipment() RETURNS TABLE (org_id uuid, id uuid, facility_id uuid)
    LANGUAGE sql STABLE
    AS $$
    SELECT e.org_id, e.id, e.facility_id FROM public.equipment e JOIN public.organizations o ON o.id = e.org_id
    WHERE e.qr_token = nullif(current_setting('app.qr_token', true), '') AND o.public_status
$$;

-- Every table under row-level security gets one (a test checks that none is missed later).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING ((SELECT app.is_backup()))', t || '_backup_reads', t);
    END LOOP;
END
$$;

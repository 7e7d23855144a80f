-- The per-transaction tenant context that row-level security reads.
--
-- The application sets these at the start of every tenant transaction with
--   SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true);
-- `true` makes them local to the transaction, so a pooled connection never carries one
-- request's tenant into the next. Unset (or outside a tenant transaction) they read as NULL,
-- and a policy comparing `org_id = app.current_org_id()` then matches no row at all.
CREATE SCHEMA app;

CREATE FUNCTION app.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;

CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

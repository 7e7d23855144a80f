-- Tamper-evident audit trail.
--
-- Every change of a captured table writes an audit event from a trigger, whatever code path made
-- it. Each event belongs to one chain: its organization's, or the platform chain (org_id NULL)
-- for account-level events. Within a chain events are numbered 1, 2, 3… and each event's hash
-- covers the previous event's hash, so altering, removing or inserting an event anywhere breaks
-- every hash after it. The canonical text that is hashed is documented in README ("Audit trail")
-- and is exactly what the JSON Lines export contains, so anyone can verify an export.

CREATE TABLE audit_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid REFERENCES organizations (id),
    seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'anonymous', 'system', 'job', 'webhook')),
    actor_user_id uuid,
    ip inet,
    user_agent text,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id text,
    before jsonb,
    after jsonb,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT audit_events_chain_seq_key UNIQUE NULLS NOT DISTINCT (org_id, seq)
);
CREATE INDEX audit_events_org_seq_idx ON audit_events (org_id, seq DESC);
CREATE INDEX audit_events_entity_idx ON audit_events (org_id, entity_type, seq DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (org_id, actor_user_id, seq DESC);
CREATE INDEX audit_events_action_idx ON audit_events (org_id, action, seq DESC);
CREATE INDEX audit_events_time_idx ON audit_events (org_id, occurred_at DESC);

-- The head of each chain: the last number and hash. Appending locks the head row, so parallel
-- writers in one organization take turns and the chain never forks. Chain id: the organization,
-- or the nil uuid for the platform chain. Holds no tenant data (numbers and hashes only).
CREATE TABLE audit_chain_heads (
    chain uuid PRIMARY KEY,
    last_seq bigint NOT NULL,
    last_hash bytea NOT NULL
);

-- The fields of an event as the text that is hashed and exported, in order. Absent values are
-- '-'. Timestamps are UTC with microseconds; addresses without a prefix length; JSON as jsonb
-- prints it (the export carries this exact text, so no JSON canonicalisation is needed).
CREATE FUNCTION app.audit_text_fields(
    org_id uuid, seq bigint, occurred_at timestamptz, actor_kind text, actor_user_id uuid, ip inet,
    user_agent text, action text, entity_type text, entity_id text, before jsonb, after jsonb, prev_hash bytea
) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ARRAY[
        coalesce(org_id::text, '-'),
        seq::text,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        actor_kind,
        coalesce(actor_user_id::text, '-'),
        coalesce(host(ip), '-'),
        coalesce(user_agent, '-'),
        action,
        entity_type,
        coalesce(entity_id, '-'),
        coalesce(before::text, '-'),
        coalesce(after::text, '-'),
        encode(prev_hash, 'hex')
    ]
$$;

-- hash = SHA-256 of 'cleantrack-audit-v1' and the fields above, joined with newlines.
CREATE FUNCTION app.audit_hash(fields text[]) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT sha256(convert_to('cleantrack-audit-v1' || E'\n' || array_to_string(fields, E'\n'), 'UTF8')) $$;

-- Numbers, links and hashes a new event; fills in who and from where from the transaction's
-- context unless the caller gave them.
CREATE FUNCTION app.audit_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    chain_id uuid := coalesce(NEW.org_id, '00000000-0000-0000-0000-000000000000');
    head audit_chain_heads;
BEGIN
    NEW.actor_user_id := coalesce(NEW.actor_user_id, app.current_user_id());
    NEW.actor_kind := coalesce(NEW.actor_kind, nullif(current_setting('app.actor_kind', true), ''),
                               CASE WHEN NEW.actor_user_id IS NULL THEN 'anonymous' ELSE 'user' END);
    NEW.ip := coalesce(NEW.ip, nullif(current_setting('app.ip', true), '')::inet);
    -- One line, bounded: a user agent is the only free text in the hashed fields.
    NEW.user_agent := left(regexp_replace(coalesce(NEW.user_agent, nullif(current_setting('app.user_agent', true), '')),
                                          '[[:cntrl:]]', ' ', 'g'), 300);
    NEW.occurred_at := date_trunc('microseconds', clock_timestamp());

    INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES (chain_id, 0, decode(repeat('00', 32), 'hex'))
        ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads h WHERE h.chain = chain_id FOR UPDATE;

    NEW.seq := head.last_seq + 1;
    NEW.prev_hash := head.last_hash;
    NEW.hash := app.audit_hash(app.audit_text_fields(
        NEW.org_id, NEW.seq, NEW.occurred_at, NEW.actor_kind, NEW.actor_user_id, NEW.ip, NEW.user_agent,
        NEW.action, NEW.entity_type, NEW.entity_id, NEW.before, NEW.after, NEW.prev_hash));
    UPDATE audit_chain_heads h SET last_seq = NEW.seq, last_hash = NEW.hash WHERE h.chain = chain_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION app.audit_chain();

-- Append-only, for everyone including the table's owner (the application role).
CREATE FUNCTION app.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION app.audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_refuse_change();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_refuse_change();

-- Tenants read their own chain; platform operators read everything. Anyone may append to the
-- chain of the organization in context, or to the platform chain.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_tenant_reads ON audit_events FOR SELECT USING (org_id = app.current_org_id());
CREATE POLICY audit_events_platform_reads ON audit_events FOR SELECT USING (app.is_platform_operator());
-- `cleantrack audit verify` reads every chain, in a read-only transaction opened by exactly one
-- function (server::audit::verify_all_chains_unscoped) that names this purpose.
CREATE POLICY audit_events_verifier_reads ON audit_events FOR SELECT
    USING (current_setting('app.purpose', true) = 'audit_verify' AND current_setting('transaction_read_only') = 'on');
CREATE POLICY audit_events_append ON audit_events FOR INSERT
    WITH CHECK (org_id IS NULL OR org_id = app.current_org_id());

-- Capture: one generic trigger. Arguments: the column holding the organization ('' for
-- account-level tables, which go to the platform chain), the column identifying the entity, then
-- columns whose values must never be copied into the trail (shown as redacted, and whether they
-- changed).
CREATE FUNCTION app.audit_capture() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    org_column text := TG_ARGV[0];
    id_column text := TG_ARGV[1];
    secret text;
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_any jsonb := coalesce(new_row, old_row);
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    FOR i IN 2 .. TG_NARGS - 1 LOOP
        secret := TG_ARGV[i];
        IF old_row IS NOT NULL THEN
            old_row := jsonb_set(old_row, ARRAY[secret], '"[redacted]"');
        END IF;
        IF new_row IS NOT NULL THEN
            new_row := jsonb_set(new_row, ARRAY[secret],
                CASE WHEN old_row IS NOT NULL AND (to_jsonb(OLD) -> secret) IS DISTINCT FROM (to_jsonb(NEW) -> secret)
                     THEN '"[redacted, changed]"' ELSE '"[redacted]"' END::jsonb);
        END IF;
    END LOOP;
    INSERT INTO audit_events (org_id, action, entity_type, entity_id, before, after)
    VALUES (CASE WHEN org_column = '' THEN NULL ELSE (row_any ->> org_column)::uuid END,
            TG_TABLE_NAME || '.' || lower(TG_OP), TG_TABLE_NAME, row_any ->> id_column, old_row, new_row);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('id', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'user_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON invitations
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('org_id', 'id', 'token_hash');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION app.audit_capture('', 'id', 'password_hash');

-- The export and the verifier read events through this view: the hashed text fields, exactly.
CREATE VIEW audit_events_text WITH (security_invoker = true) AS
SELECT e.id, e.org_id, e.seq, e.occurred_at, e.actor_user_id, e.action, e.entity_type,
       app.audit_text_fields(e.org_id, e.seq, e.occurred_at, e.actor_kind, e.actor_user_id, e.ip, e.user_agent,
                             e.action, e.entity_type, e.entity_id, e.before, e.after, e.prev_hash) AS fields,
       encode(e.hash, 'hex') AS hash
FROM audit_events e;

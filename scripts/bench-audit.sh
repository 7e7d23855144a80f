#!/usr/bin/env bash
# Audit benchmark: the cost of one audited write. Updates one membership's role in a tenant
# transaction, with the capture + chain triggers, and the same update on an identical table
# without them; pgbench reports latency and throughput for 1 and 8 clients (8 clients in one
# organization contend for the chain head, the worst case). A report, not a test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_local_postgres
ensure_local_database cleantrack_bench --fresh
URL="$(local_database_url cleantrack_bench)"
cargo build --features ssr --quiet
APP_ENV=development DATABASE_URL="$URL" SECRET_KEY=bench "$CARGO_TARGET_DIR/debug/cleantrack" migrate >/dev/null

ORG=11111111-1111-1111-1111-111111111111
USER_ID=22222222-2222-2222-2222-222222222222
psql -q -X -v ON_ERROR_STOP=1 -o /dev/null "$URL" <<SQL
BEGIN;
SELECT set_config('app.org_id', '$ORG', true), set_config('app.user_id', '$USER_ID', true);
INSERT INTO users (id, email, display_name, password_hash) VALUES ('$USER_ID', 'bench@x.example', 'Bench', 'x');
INSERT INTO organizations (id, name) VALUES ('$ORG', 'Bench');
INSERT INTO memberships (org_id, user_id, role) VALUES ('$ORG', '$USER_ID', 'staff');
COMMIT;
CREATE TABLE memberships_unaudited (LIKE memberships INCLUDING ALL);
INSERT INTO memberships_unaudited VALUES ('$ORG', '$USER_ID', 'staff', now());
SQL

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for table in memberships memberships_unaudited; do
  cat > "$work/$table.sql" <<SQL
BEGIN;
SELECT set_config('app.org_id', '$ORG', true), set_config('app.user_id', '$USER_ID', true);
UPDATE $table SET role = CASE WHEN role = 'staff' THEN 'supervisor'::member_role ELSE 'staff' END WHERE org_id = '$ORG' AND user_id = '$USER_ID';
COMMIT;
SQL
done

pgbench="$(ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)"
printf '\n%-24s %8s %12s %10s\n' table clients latency_ms tps
for clients in 1 8; do
  for table in memberships_unaudited memberships; do
    out="$("$pgbench" -n -c "$clients" -j "$clients" -T 10 -f "$work/$table.sql" "$URL" 2>/dev/null)"
    latency="$(awk '/latency average/ {print $4}' <<<"$out")"
    tps="$(awk '/^tps/ {print int($3)}' <<<"$out")"
    printf '%-24s %8s %12s %10s\n' "$table" "$clients" "$latency" "$tps"
  done
done
echo
# Verifying the whole chain just written is part of the report (and proves 8 writers kept it whole).
start=$(date +%s%N)
APP_ENV=development DATABASE_URL="$URL" SECRET_KEY=bench "$CARGO_TARGET_DIR/debug/cleantrack" audit verify | sed "s/^/verify: /"
echo "verify took $(( ($(date +%s%N) - start) / 1000000 )) ms"

# The audit page at a million events: rows are added as the superuser with triggers off (their
# hashes are not the point here), then the page's queries are timed by EXPLAIN ANALYZE: the
# newest page, a page deep in the past (keyset: seq < N), and a filter matching few rows.
step "audit page queries at 1,000,000 events"
psql_admin -d cleantrack_bench -o /dev/null <<SQL
SET session_replication_role = replica;
INSERT INTO audit_events (org_id, seq, occurred_at, actor_kind, actor_user_id, action, entity_type, entity_id, after, prev_hash, hash)
SELECT '$ORG', 100000 + g, now() - make_interval(secs => 1000000 - g), 'user', '$USER_ID',
       CASE WHEN g % 1000 = 0 THEN 'invitations.insert' ELSE 'memberships.update' END,
       CASE WHEN g % 1000 = 0 THEN 'invitations' ELSE 'memberships' END, '$USER_ID', '{"role": "staff"}', '\\x00', '\\x00'
FROM generate_series(1, 1000000) g;
ANALYZE audit_events;
SQL
page_sql() {
  echo "SELECT e.seq, e.action, e.before, e.after, u.email FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
        WHERE e.org_id = '$ORG' $1 ORDER BY e.seq DESC LIMIT 51"
}
for label_filter in "newest page|" "page at event 500000|AND e.seq < 500000" "rare filter (0.1%)|AND e.entity_type = 'invitations'" \
                    "one day|AND e.occurred_at >= now() - interval '1 day'"; do
  label="${label_filter%%|*}" filter="${label_filter#*|}"
  ms="$(psql_admin -d cleantrack_bench -tA -c "SET ROLE cleantrack; SELECT set_config('app.org_id', '$ORG', false); EXPLAIN (ANALYZE, FORMAT JSON) $(page_sql "$filter")" \
        | grep -o '"Execution Time": [0-9.]*' | awk '{print $3}')"
  printf '%-26s %8s ms\n' "$label" "$ms"
done

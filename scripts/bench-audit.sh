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
time_start=$(date +%s.%N)
APP_ENV=development DATABASE_URL="$URL" SECRET_KEY=bench "$CARGO_TARGET_DIR/debug/cleantrack" audit verify | sed "s/^/verify: /"
printf 'verify took %.1f s\n' "$(echo "$(date +%s.%N) - $time_start" | bc)"

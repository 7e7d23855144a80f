#!/usr/bin/env bash
# Load benchmark (DESIGN.md budgets) of the QR landing page and of log submission: the release
# server against the demo data scaled to 1,000 pieces of equipment and about 100,000 logs, 64
# concurrent signed-in users (examples/load.rs). Reports requests/s, p50/p90/p99, errors, the
# server's peak memory, SQL statements per request, and the first-visit transfer of the QR page.
# A report, not a test: it prints figures and exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

CONCURRENCY="${CONCURRENCY:-64}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
ADDR=127.0.0.1:3200
URL="http://$ADDR"
DB=cleantrack_bench

ensure_build_tools
ensure_local_postgres
ensure_local_database "$DB" --fresh
step "release build (site and server), and the load generator"
cargo leptos build --release --precompress
cargo build --quiet --release --features ssr --example load
BIN="$CARGO_TARGET_DIR/release/cleantrack"
LOAD="$CARGO_TARGET_DIR/release/examples/load"

export APP_ENV=development DATABASE_URL="$(local_database_url "$DB")" SECRET_KEY="$(random_secret)" \
  LEPTOS_SITE_ADDR="$ADDR" LEPTOS_SITE_ROOT=target/site JOB_WORKERS=0 DATABASE_MAX_CONNECTIONS=20 \
  UPLOAD_DIR="$(mktemp -d)"
step "demo data: 2 × 500 pieces of equipment, 117 days of logs"
time "$BIN" demo-data --equipment-per-facility 500 --days 117 >/dev/null
counts="$(psql_admin -d "$DB" -tAc "SELECT (SELECT count(*) FROM equipment) || ' equipment, ' || (SELECT count(*) FROM cleaning_logs) || ' logs'")"
echo "$counts"
psql_admin -d "$DB" -c "VACUUM ANALYZE"
targets="$(mktemp)" server_log="$(mktemp)" html="$(mktemp)" jar="$(mktemp)"
psql_admin -d "$DB" -tA -F $'\t' -c "SELECT e.qr_token, e.id, jsonb_array_length(v.steps) FROM equipment e \
  JOIN protocols p ON p.org_id = e.org_id AND p.id = e.protocol_id \
  JOIN protocol_versions v ON v.org_id = p.org_id AND v.protocol_id = p.id AND v.version = p.current_version" >"$targets"
STAFF=staff@demo.cleantrack.test
PASSWORD="$("$BIN" demo-data | sed -n 's/.*with password "\(.*\)" as/\1/p')"

server=""
start_server() {
  RUST_LOG="$1" LOG_FORMAT=json "$BIN" serve >>"$server_log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; cat "$server_log"; exit 1
}
stop_server() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap 'stop_server; rm -f "$targets" "$server_log" "$html" "$jar"' EXIT
sign_in() {
  curl -fs -c "$jar" -b "$jar" -H "Origin: $URL" -H "Accept: application/json" \
    --data-urlencode "email=$STAFF" --data-urlencode "password=$PASSWORD" "$URL/api/login" >/dev/null
}
first_token="$(head -1 "$targets" | cut -f1)"
first_equipment="$(head -1 "$targets" | cut -f2)"
steps="$(head -1 "$targets" | cut -f3)"
# Signatures re-authenticate (21 CFR 11.200): every signing carries the signer's password.
log_form=(--data-urlencode "equipment_id=$first_equipment" --data-urlencode outcome=pass --data-urlencode notes=
  --data-urlencode "password=$PASSWORD")
for i in $(seq 0 $((steps - 1))); do log_form+=(--data-urlencode "done[$i]=on"); done

step "SQL statements per request (sqlx's statement log, one request each)"
start_server "warn,sqlx::query=debug"
sign_in
curl -fs -b "$jar" -H "Accept: text/html" "$URL/q/$first_token" >/dev/null   # warm caches
: >"$server_log"
curl -fs -b "$jar" -H "Accept: text/html" "$URL/q/$first_token" -o "$html"
sleep 0.3
grep -o '"summary":"[^"]*"' "$server_log" | sed 's/"summary":/  page: /' || true
page_queries=$(grep -c '"summary":' "$server_log" || true)
: >"$server_log"
curl -fs -b "$jar" -H "Origin: $URL" -H "Accept: application/json" "${log_form[@]}" "$URL/api/log_cleaning" >/dev/null
sleep 0.3
log_queries=$(grep -c '"summary":' "$server_log" || true)
# Which statements, for the report.
grep -o '"summary":"[^"]*"' "$server_log" | sed 's/"summary":/  log: /' || true
echo "QR page: $page_queries statements; log submission: $log_queries statements (COMMIT and set_config included; sqlx does not log BEGIN)"
stop_server

step "load: $CONCURRENCY users, ${SECONDS_PER_RUN}s per run after a 3 s warm-up"
start_server warn
for mode in page log; do
  "$LOAD" --url "$URL" --email "$STAFF" --password "$PASSWORD" --targets "$targets" --mode "$mode" \
    --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_RUN" --server-pid "$server"
done
stop_server

step "first visit of the QR page (signed in), release build"
report_first_visit "QR page HTML" "$html"
echo "data: $counts"

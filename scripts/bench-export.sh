#!/usr/bin/env bash
# Memory benchmark of the exports (issue: "memory stays flat while exporting 100,000 logs"):
# the release server against the demo data scaled to about 100,000 logs. Downloads the CSV of
# a tenth and of all the logs, then prepares the PDF report and the inspection binder of the
# larger facility, sampling the server's resident memory every 50 ms throughout. A report, not
# a test: it prints figures and exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ADDR=127.0.0.1:3201
URL="http://$ADDR"
DB=cleantrack_bench_export

ensure_build_tools
ensure_local_postgres
ensure_local_database "$DB" --fresh
step "release build"
cargo leptos build --release --precompress
BIN="$CARGO_TARGET_DIR/release/cleantrack"

export APP_ENV=development DATABASE_URL="$(local_database_url "$DB")" SECRET_KEY="$(random_secret)" \
  LEPTOS_SITE_ADDR="$ADDR" LEPTOS_SITE_ROOT=target/site JOB_WORKERS=1 JOB_POLL_MS=200 \
  UPLOAD_DIR="$(mktemp -d)"
step "demo data: 2 × 500 pieces of equipment, 117 days of logs"
"$BIN" demo-data --equipment-per-facility 500 --days 117 >/dev/null
psql_admin -d "$DB" -c "VACUUM ANALYZE" >/dev/null
echo "$(psql_admin -d "$DB" -tAc "SELECT count(*) FROM cleaning_logs") logs"
facility="$(psql_admin -d "$DB" -tAc "SELECT id FROM facilities ORDER BY name LIMIT 1")"
PASSWORD="$("$BIN" demo-data | sed -n 's/.*with password "\(.*\)" as/\1/p')"

server_log="$(mktemp)" jar="$(mktemp)" samples="$(mktemp)" out="$(mktemp)"
RUST_LOG=warn "$BIN" serve >>"$server_log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$server_log" "$jar" "$samples" "$out"' EXIT
for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done
curl -fs -c "$jar" -b "$jar" -H "Origin: $URL" -H "Accept: application/json" \
  --data-urlencode "email=owner@demo.cleantrack.test" --data-urlencode "password=$PASSWORD" "$URL/api/login" >/dev/null

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
# Samples the server's memory while "$@" runs; prints "<seconds> <peak MB>".
measure() {
  : >"$samples"
  (while kill -0 "$server" 2>/dev/null; do rss_kb >>"$samples"; sleep 0.05; done) &
  local sampler=$! start=$EPOCHREALTIME
  "$@"
  local took
  took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  printf '%.1f s, peak %d MB' "$took" $(( $(sort -n "$samples" | tail -1) / 1024 ))
}
api() { curl -fs -b "$jar" -H "Origin: $URL" -H "Accept: application/json" "$@"; }
csv() { curl -fs -b "$jar" "$URL/reports/logs.csv?$1" -o "$out"; }
export_file() {
  local id
  id="$(api --data-urlencode "kind=$1" --data-urlencode "facility=$facility" "$URL/api/request_export" | tr -d '"')"
  until api -X POST "$URL/api/list_exports" | python3 -c "import json,sys; x=[e for e in json.load(sys.stdin) if e['id']=='$id'][0]; sys.exit(0 if x['state'] in ('ready','failed') else 1)"; do
    sleep 0.2
  done
  curl -fs -b "$jar" "$URL/exports/$id" -o "$out"
}

step "memory of the server while exporting"
echo "idle after start and sign-in: $(( $(rss_kb) / 1024 )) MB"
from="$(psql_admin -d "$DB" -tAc "SELECT (max(performed_at) - interval '11 days')::date FROM cleaning_logs")"
line="$(measure csv "from=$from")"; echo "CSV, last 11 days ($(( $(wc -l <"$out") - 1 )) logs, $(( $(stat -c %s "$out") / 1024 )) KB): $line"
line="$(measure csv "")"; echo "CSV, everything ($(( $(wc -l <"$out") - 1 )) logs, $(( $(stat -c %s "$out") / 1024 / 1024 )) MB): $line"
line="$(measure export_file report_pdf)"; echo "PDF report, one facility ($(( $(stat -c %s "$out") / 1024 / 1024 )) MB): $line"
line="$(measure export_file binder)"; echo "binder, one facility ($(( $(stat -c %s "$out") / 1024 / 1024 )) MB zip): $line"
echo "after: $(( $(rss_kb) / 1024 )) MB"

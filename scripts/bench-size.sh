#!/usr/bin/env bash
# Bundle-size benchmark: builds the release site and reports, for every route, what a phone
# downloads on a first visit (the page's HTML plus every site file it names: CSS, scripts, WASM),
# raw, gzip and brotli. Budgets (DESIGN.md, issue 16): the sticker page 30 KB, every other page
# 300 KB, brotli. Pages are rendered by the release server itself on the demo data, signed in as
# the owner (the public pages signed out). A report, not a test: it prints figures and exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ADDR=127.0.0.1:3199
URL="http://$ADDR"
DB=cleantrack_bench_size

ensure_build_tools
ensure_local_postgres
ensure_local_database "$DB" --fresh
step "release build (cargo leptos build --release --precompress)"
cargo leptos build --release --precompress
BIN="$CARGO_TARGET_DIR/release/cleantrack"

export APP_ENV=development DATABASE_URL="$(local_database_url "$DB")" SECRET_KEY="$(random_secret)" \
  LEPTOS_SITE_ADDR="$ADDR" LEPTOS_SITE_ROOT=target/site JOB_WORKERS=0 UPLOAD_DIR="$(mktemp -d)"
PASSWORD="$("$BIN" demo-data | sed -n 's/.*with password "\(.*\)" as/\1/p')"
"$BIN" serve >/dev/null 2>&1 &
server=$!
html="$(mktemp)" jar="$(mktemp)" summary="$(mktemp)"
trap 'kill $server 2>/dev/null || true; rm -f "$html" "$jar" "$summary"' EXIT
for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done

token="$(psql_admin -d "$DB" -tAc "SELECT qr_token FROM equipment ORDER BY created_at, id LIMIT 1")"
facility="$(psql_admin -d "$DB" -tAc "SELECT id FROM facilities ORDER BY created_at, id LIMIT 1")"

page() { # label path budget
  curl -fs -b "$jar" -H "Accept: text/html" "$URL$2" -o "$html"
  report_first_visit "$1" "$html" "$3"
  printf '| `%s` | %s | %s%% | %s |\n' "$1" "$FIRST_VISIT_BR" $((FIRST_VISIT_BR * 100 / $3)) "$FIRST_VISIT_FILES" >>"$summary"
}

step "signed out"
for path in / /login /register /forgot-password /verify; do page "$path" "$path" 307200; done
curl -fs -c "$jar" -b "$jar" -H "Origin: $URL" -H "Accept: application/json" \
  --data-urlencode "email=owner@demo.cleantrack.test" --data-urlencode "password=$PASSWORD" "$URL/api/login" >/dev/null
step "signed in as the owner"
page "/q/{token}" "/q/$token" 30720
for path in /app /facilities /equipment /protocols /team /audit /reports /reviews /settings /billing /account; do
  page "$path" "$path" 307200
done
page "/facilities/{id}/labels" "/facilities/$facility/labels" 307200

step "summary: first visit, brotli bytes, share of the page's budget"
echo "| route | brotli bytes | of budget | files |"
echo "|---|---:|---:|---:|"
cat "$summary"

#!/usr/bin/env bash
# Bundle-size benchmark: builds the release site and reports what a phone downloads on a first
# visit of the landing page (HTML + CSS + JS + WASM), raw and compressed. Budget (DESIGN.md):
# under 300 KB compressed. A report, not a test: it prints figures and exits 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_build_tools
step "release build (cargo leptos build --release --precompress)"
cargo leptos build --release --precompress

html="$(mktemp)"
# Render the page with the release server binary itself, so the HTML is the real thing. The
# landing page needs no database; production mode skips the start-up migrations.
APP_ENV=production DATABASE_URL=postgres://unused@127.0.0.1:1/unused SECRET_KEY="$(random_secret)" \
  AUDIT_SIGNING_KEY="$(openssl rand -base64 32)" ALLOWED_HOSTS=127.0.0.1 PUBLIC_URL=http://127.0.0.1:3199 SECURE_SSL_REDIRECT=false EMAIL_FROM=bench@localhost \
  LEPTOS_SITE_ADDR=127.0.0.1:3199 "$CARGO_TARGET_DIR/release/cleantrack" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$html"' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:3199/healthz >/dev/null && break; sleep 0.1; done
curl -fs http://127.0.0.1:3199/ -o "$html"

report_first_visit "landing page HTML" "$html"

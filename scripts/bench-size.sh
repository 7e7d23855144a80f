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

pkg=target/site/pkg
html="$(mktemp)"
# Render the page with the release server binary itself, so the HTML is the real thing. The
# landing page needs no database; production mode skips the start-up migrations.
APP_ENV=production DATABASE_URL=postgres://unused@127.0.0.1:1/unused SECRET_KEY="$(random_secret)" \
  ALLOWED_HOSTS=127.0.0.1 PUBLIC_URL=http://127.0.0.1:3199 SECURE_SSL_REDIRECT=false EMAIL_FROM=bench@localhost \
  LEPTOS_SITE_ADDR=127.0.0.1:3199 "$CARGO_TARGET_DIR/release/cleantrack" serve >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$html"' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:3199/healthz >/dev/null && break; sleep 0.1; done
curl -fs http://127.0.0.1:3199/ -o "$html"

size() { stat -c %s "$1"; }
br() { brotli -c -q 11 "$1" | wc -c; }
gz() { gzip -c -9 "$1" | wc -c; }
command -v brotli >/dev/null || apt_install brotli

printf '\n%-22s %10s %10s %10s\n' file raw gzip brotli
total_raw=0 total_gz=0 total_br=0
for f in "$html" "$pkg/cleantrack.css" "$pkg/cleantrack.js" "$pkg/cleantrack.wasm"; do
  r=$(size "$f") g=$(gz "$f") b=$(br "$f")
  total_raw=$((total_raw + r)) total_gz=$((total_gz + g)) total_br=$((total_br + b))
  name=$(basename "$f"); [ "$f" = "$html" ] && name="landing page HTML"
  printf '%-22s %10d %10d %10d\n' "$name" "$r" "$g" "$b"
done
printf '%-22s %10d %10d %10d\n' "first visit total" "$total_raw" "$total_gz" "$total_br"
printf '\nbudget: 300 KB (307200 bytes) compressed; brotli total is %d%% of it\n' $((total_br * 100 / 307200))

#!/usr/bin/env bash
# README command 2: set up what is missing, then run every test: Rust unit and integration tests
# against a real Postgres, then the Playwright suite in Debian's Chromium.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_build_tools
ensure_s3_server
ensure_node
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
# The binder's offline instructions check Ed25519 signatures with Python's `cryptography`.
if ! python3 -c "import cryptography" 2>/dev/null; then
  apt_install python3-cryptography
fi
if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules ]; then
  step "installing end-to-end test packages"
  # Playwright must not download browsers (no GitHub here): it drives Debian's Chromium.
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# Tests connect as the application role, never as a superuser: superusers skip row-level
# security, so tests as one would prove nothing about tenant isolation. The superuser URL is
# only for tests that play an attacker with database access (tampering, bypass checks).
if [ -z "${DATABASE_URL:-}" ]; then
  ensure_local_postgres
  ensure_local_database cleantrack_test
  psql_admin <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cleantrack_test_superuser') THEN
    CREATE ROLE cleantrack_test_superuser LOGIN SUPERUSER;
  END IF;
END \$\$;
ALTER ROLE cleantrack_test_superuser PASSWORD '$LOCAL_DB_PASSWORD';
SQL
  export DATABASE_URL="$(local_database_url cleantrack_test)"
  export TEST_SUPERUSER_DATABASE_URL="postgres://cleantrack_test_superuser:$LOCAL_DB_PASSWORD@127.0.0.1:$PGPORT_LOCAL/cleantrack_test"
  ensure_local_database cleantrack_e2e --fresh
  # The browser suite's server runs as production should: migrations as the owner, serving as
  # a role that owns nothing.
  E2E_MIGRATION_DATABASE_URL="$(local_database_url cleantrack_e2e)"
  E2E_DATABASE_URL="$(local_serving_url cleantrack_e2e)"
else
  : "${TEST_SUPERUSER_DATABASE_URL:?set TEST_SUPERUSER_DATABASE_URL too when providing DATABASE_URL}"
  : "${E2E_DATABASE_URL:?set E2E_DATABASE_URL (an empty database for the browser tests) when providing DATABASE_URL}"
  E2E_MIGRATION_DATABASE_URL="${E2E_MIGRATION_DATABASE_URL:-}"
fi

if [ "${CI:-}" = "true" ]; then
  # CI builds every fresh clone at a new path, so this crate's own artifacts (not its
  # dependencies') would pile up in the shared target directory, gigabytes per run. Drop them
  # first, and skip incremental state that a throwaway clone never reuses.
  export CARGO_INCREMENTAL=0
  cargo clean --quiet -p cleantrack
  cargo clean --quiet -p cleantrack --target wasm32-unknown-unknown --target-dir "$CARGO_TARGET_DIR/front"
fi

step "SQL checked against the migrated schema (cargo sqlx prepare --check)"
# Builds read `.sqlx/` (SQLX_OFFLINE in .cargo/config.toml); this fails if a query or a
# migration changed without `scripts/sqlx-prepare.sh`.
sqlx_prepare --check

step "formatting and lints (rustfmt, clippy for the server and the browser build)"
cargo fmt --check
cargo clippy --quiet --features ssr --all-targets -- -D warnings
cargo clippy --quiet --lib --no-default-features --features hydrate --target wasm32-unknown-unknown \
  --target-dir "$CARGO_TARGET_DIR/front" -- -D warnings

step "Rust unit and integration tests"
cargo test --features ssr --no-fail-fast

step "browser tests (Playwright, Debian Chromium)"
# The server cargo-leptos starts for the suite gets its own empty database and a throwaway key.
E2E_ADDR=127.0.0.1:3100
# Stripe cannot run here: upgrades are paid on the stand-in (built with the tests above), which
# sends the app the events Stripe would, signed with Stripe's scheme.
STANDIN_ADDR=127.0.0.1:12111
"$CARGO_TARGET_DIR/debug/examples/stripe_standin" --listen "$STANDIN_ADDR" --webhook "http://$E2E_ADDR/webhooks/stripe" &
STANDIN_PID=$!
trap 'kill "$STANDIN_PID" 2>/dev/null || true' EXIT
# The crawl (end2end/tests/crawl.spec.ts) signs in as the demo organization's members, one per
# role; its owner is also a platform operator, so the operator console is crawled too. The
# binary is the one the Rust tests above built.
E2E_SECRET="$(random_secret)"
APP_ENV=development DATABASE_URL="$E2E_DATABASE_URL" MIGRATION_DATABASE_URL="$E2E_MIGRATION_DATABASE_URL" SECRET_KEY="$E2E_SECRET" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/cleantrack" demo-data >/dev/null
APP_ENV=development DATABASE_URL="$E2E_DATABASE_URL" MIGRATION_DATABASE_URL="$E2E_MIGRATION_DATABASE_URL" SECRET_KEY="$E2E_SECRET" RUST_LOG=warn CLEANTRACK_SUPERUSER_PASSWORD= \
  "$CARGO_TARGET_DIR/debug/cleantrack" create-superuser --email owner@demo.cleantrack.test </dev/null >/dev/null
# Every browser test registers from 127.0.0.1: more sign-ups per hour than one network makes.
APP_ENV=development DATABASE_URL="$E2E_DATABASE_URL" MIGRATION_DATABASE_URL="$E2E_MIGRATION_DATABASE_URL" SECRET_KEY="$E2E_SECRET" RUST_LOG=warn SIGNUPS_PER_ADDRESS_PER_HOUR=1000 \
  LEPTOS_SITE_ADDR="$E2E_ADDR" E2E_BASE_URL="http://$E2E_ADDR" \
  STRIPE_TEST_SECRET_KEY=sk_test_standin STRIPE_TEST_PRO_PRICE_ID=price_pro_standin STRIPE_WEBHOOK_SECRET=whsec_standin \
  STRIPE_API_BASE="http://$STANDIN_ADDR/" \
  cargo leptos end-to-end

step "all tests passed"

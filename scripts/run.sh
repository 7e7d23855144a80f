#!/usr/bin/env bash
# README command 1: set up what is missing, then serve the app on http://127.0.0.1:3000.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_build_tools
if [ -z "${DATABASE_URL:-}" ]; then
  ensure_local_postgres
  ensure_local_database cleantrack
fi

if [ ! -f .env ]; then
  step "writing a development .env (ignored by git; production never reads it)"
  if [ -n "${DATABASE_URL:-}" ]; then
    urls="DATABASE_URL=$DATABASE_URL${MIGRATION_DATABASE_URL:+
MIGRATION_DATABASE_URL=$MIGRATION_DATABASE_URL}"
  else
    # Two roles: the server connects as one that owns nothing; migrations run as the owner.
    urls="DATABASE_URL=$(local_serving_url cleantrack)
MIGRATION_DATABASE_URL=$(local_database_url cleantrack)"
  fi
  cat > .env <<ENV
APP_ENV=development
$urls
SECRET_KEY=$(random_secret)
ENV
fi

step "building the server and loading the demo organization (first build takes several minutes)"
cargo run --quiet --features ssr -- demo-data
echo "Or create your own organization at http://127.0.0.1:3000/register; the emails the app sends"
echo "(confirmation, invitations, password resets) are shown at http://127.0.0.1:3000/dev/mail."

step "serving on http://127.0.0.1:3000"
exec cargo leptos serve

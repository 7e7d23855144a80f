#!/usr/bin/env bash
# After changing a sqlx::query! or a migration: rewrites `.sqlx/` (the query descriptions builds
# check against, see .cargo/config.toml) from a fresh local database with every migration
# applied. Commit the result; the test command fails while it is stale.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
sqlx_prepare

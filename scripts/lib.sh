# Shared set-up for scripts/run.sh and scripts/test.sh. Each step installs what is missing and
# skips what is present, so running a command twice is cheap.
# Sourced, not executed; expects `set -euo pipefail` from the caller.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLEANTRACK_CACHE:-$HOME/.cache/cleantrack}"
# Build output lives outside the checkout, so a fresh clone (CI) reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$HOME/.cargo/bin:$CACHE/tools/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132.0.0
S3S_FS_VERSION=0.14.1
SQLX_CLI_VERSION=0.8.6  # the sqlx crate's version: its offline data format must match
LOCAL_DB_PASSWORD=cleantrack_local  # a local-only role on 127.0.0.1; production uses the platform's

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  step "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_build_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      step "adding rustup's $component"
      rustup component add "$component"
    fi
  done
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    # 0.3.11 does not build on rustc 1.95; no_downloads makes a missing tool fail at once
    # instead of reaching for GitHub. A debug build installs in half the time of a release one.
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION (10-15 minutes, once)"
    CARGO_PROFILE_DEV_DEBUG=0 cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" \
      --locked --features no_downloads --debug
  fi
  # The CLI must equal the wasm-bindgen crate in Cargo.lock exactly; cargo-leptos does not check.
  local wbg
  wbg="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg" ]; then
    step "installing wasm-bindgen-cli $wbg (about 3 minutes, once)"
    # Not --locked: its lockfile pins a crate the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$wbg" --force
  fi
  # wasm-opt for release builds: Debian's binaryen is too old for current rustc output.
  if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    step "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
    ensure_node
    mkdir -p "$CACHE/tools"
    npm install --silent --no-audit --no-fund --prefix "$CACHE/tools" "binaryen@$BINARYEN_VERSION"
  fi
}

# A real S3-compatible server for the upload tests (it checks request signatures, unlike
# in-memory fakes). 0.15 needs a newer rustc than this toolchain.
ensure_s3_server() {
  if ! s3s-fs --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
    step "installing s3s-fs $S3S_FS_VERSION (about 6 minutes, once)"
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
  fi
}

# `cargo sqlx prepare`, which writes (and with --check compares) the descriptions of every
# sqlx::query! in `.sqlx/` from a migrated database.
ensure_sqlx_cli() {
  if ! sqlx --version 2>/dev/null | grep -q "$SQLX_CLI_VERSION"; then
    step "installing sqlx-cli $SQLX_CLI_VERSION (about 4 minutes, once)"
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo install sqlx-cli --version "$SQLX_CLI_VERSION" \
      --no-default-features --features postgres,rustls --locked
  fi
}

# Runs `cargo sqlx prepare $@` against a fresh local database with every migration applied:
# the schema the queries are checked against is exactly the one in `migrations/`.
sqlx_prepare() {
  ensure_sqlx_cli
  ensure_local_postgres
  ensure_local_database cleantrack_sqlx --fresh
  local url
  url="$(local_database_url cleantrack_sqlx)"
  DATABASE_URL="$url" sqlx migrate run --source "$ROOT/migrations" >/dev/null
  DATABASE_URL="$url" cargo sqlx prepare "$@" -- --features ssr --all-targets
}

ensure_node() {
  command -v npm >/dev/null || apt_install nodejs npm
}

# Starts a local Postgres (installing it if needed) and makes sure the two application roles
# exist, neither superuser nor BYPASSRLS (row-level security must bind them): `cleantrack` owns
# the databases and runs the migrations (with CREATEDB, so the test harness can create one
# database per test); `cleantrack_app` serves and owns nothing (README, "Database roles").
# Skipped entirely when the caller provides DATABASE_URL.
ensure_local_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    step "creating Postgres $version cluster"
    as_root pg_createcluster "$version" main
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    step "starting Postgres $version"
    as_root pg_ctlcluster "$version" main start
  fi
  PGPORT_LOCAL="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
  psql_admin <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cleantrack') THEN
    CREATE ROLE cleantrack LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB;
  END IF;
END \$\$;
ALTER ROLE cleantrack LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB PASSWORD '$LOCAL_DB_PASSWORD';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cleantrack_app') THEN
    CREATE ROLE cleantrack_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END \$\$;
ALTER ROLE cleantrack_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '$LOCAL_DB_PASSWORD';
SQL
}

psql_admin() { as_root runuser -u postgres -- psql -q -X -v ON_ERROR_STOP=1 -p "$PGPORT_LOCAL" -d postgres "$@"; }

# Creates database $1 owned by the application role unless it exists; --fresh drops it first.
ensure_local_database() {
  local name="$1" fresh="${2:-}"
  if [ "$fresh" = --fresh ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  fi
  if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql_admin -c "CREATE DATABASE $name OWNER cleantrack"
  fi
}

local_database_url() { echo "postgres://cleantrack:$LOCAL_DB_PASSWORD@127.0.0.1:$PGPORT_LOCAL/$1"; }
# The serving role's URL for database $1 (the owner's, above, is for migrations).
local_serving_url() { echo "postgres://cleantrack_app:$LOCAL_DB_PASSWORD@127.0.0.1:$PGPORT_LOCAL/$1"; }

random_secret() { head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_'; }

# What a first visit of a page downloads: the page's HTML (a file) and every site file it names
# (stylesheet, scripts, module preloads, the WASM preload), raw, gzip -9 and brotli -q 11, with a
# total against `budget` bytes (brotli). Prints a table; sets FIRST_VISIT_BR to the brotli total and
# FIRST_VISIT_FILES to the number of files (the HTML included).
report_first_visit() {
  local label="$1" html="$2" budget="${3:-307200}" site="$ROOT/target/site"
  command -v brotli >/dev/null || apt_install brotli
  printf '\n%-28s %10s %10s %10s\n' file raw gzip brotli
  local total_raw=0 total_gz=0 total_br=0 r g b name f
  local files=("$html")
  while read -r f; do [ -f "$site$f" ] && files+=("$site$f"); done < <(
    grep -oE '(href|src)="/[^"]+\.(css|js|wasm)"' "$html" | sed -E 's/^[a-z]+="([^"]+)"$/\1/' | sort -u)
  for f in "${files[@]}"; do
    r=$(stat -c %s "$f") g=$(gzip -c -9 "$f" | wc -c) b=$(brotli -c -q 11 "$f" | wc -c)
    total_raw=$((total_raw + r)) total_gz=$((total_gz + g)) total_br=$((total_br + b))
    # cargo-leptos names the files after their content: cleantrack.<hash>.css and so on.
    name=$(basename "$f" | sed -E 's/\.[A-Za-z0-9_-]{22}\./.<hash>./'); [ "$f" = "$html" ] && name="$label"
    printf '%-28s %10d %10d %10d\n' "$name" "$r" "$g" "$b"
  done
  printf '%-28s %10d %10d %10d  (%d%% of %d KB, %d files)\n' "first visit total" "$total_raw" "$total_gz" "$total_br" \
    $((total_br * 100 / budget)) $((budget / 1024)) "${#files[@]}"
  FIRST_VISIT_FILES=${#files[@]}
  FIRST_VISIT_BR=$total_br
}

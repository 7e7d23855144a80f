#!/usr/bin/env bash
# Backs up the database at DATABASE_URL: one pg_dump file in custom format (compressed, restorable
# table by table), named by the UTC time, in BACKUP_DIR (default ./backups); files older than
# BACKUP_RETENTION_DAYS (default 30) are then removed. Prints the new file's path.
#
# Works against any DATABASE_URL, including the application's own role on a managed host: the
# dump runs in a read-only transaction that names the backup purpose, which the row-level
# security policies let read every row (migration 20261125000014). pg_dump must be of the
# server's major version or newer.
#
#   DATABASE_URL=postgres://... ./scripts/backup_db.sh
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
dir="${BACKUP_DIR:-backups}"
keep_days="${BACKUP_RETENTION_DAYS:-30}"
mkdir -p "$dir"
file="$dir/cleantrack-$(date -u +%Y%m%dT%H%M%SZ).dump"

# Written under a temporary name first: a dump cut short never looks like a backup.
PGOPTIONS="-c app.purpose=backup" pg_dump --format=custom --compress=9 --no-owner --no-privileges \
  --enable-row-security --file "$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"

find "$dir" -maxdepth 1 -name 'cleantrack-*.dump' -mtime "+$keep_days" -print -delete | sed 's/^/removed old backup: /' >&2
echo "$file"

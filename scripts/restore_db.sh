#!/usr/bin/env bash
# Restores a backup made by backup_db.sh into an EMPTY database, as one transaction (all or
# nothing), with the connecting role as owner of everything restored. Then check the audit
# trail: `DATABASE_URL=<target> cleantrack audit verify`.
#
#   createdb -O cleantrack cleantrack_restored     # or your host's "create database"
#   ./scripts/restore_db.sh backups/cleantrack-20261125T030000Z.dump postgres://.../cleantrack_restored
set -euo pipefail
file="${1:?usage: restore_db.sh BACKUP_FILE TARGET_DATABASE_URL}"
target="${2:?usage: restore_db.sh BACKUP_FILE TARGET_DATABASE_URL}"
[ -f "$file" ] || { echo "no such backup file: $file" >&2; exit 1; }
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$target" "$file"
echo "restored $file; now run: DATABASE_URL=<target> cleantrack audit verify" >&2

#!/bin/sh
# Applies the server migrations from scratch to a scratch database and runs the
# smoke test, then checks the backfill path (rows present before 0004).
# Connection via the usual PG* variables; the database $DB (default
# taller_smoke) is DROPPED and recreated, twice.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
migs="$here/.."
DB="${DB:-taller_smoke}"
# A non-UTC session zone proves that feed images (trigger and backfill) are UTC.
export PGTZ="${PGTZ:-America/Bogota}"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

recreate() {
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
}
apply() {
    for f in "$@"; do
        echo "apply $(basename "$f")"
        psql_ -d "$DB" -1 -f "$f"
    done
}

echo "== fresh database"
recreate
apply "$migs"/[0-9][0-9][0-9][0-9]_*.sql
psql_ -d "$DB" -f "$here/smoke.sql"

# NOTIFY is only delivered on commit, so it cannot be checked inside smoke.sql:
# two committed transactions must wake a listener exactly twice.
n=$(psql -X -d "$DB" 2>&1 <<'SQL' | grep -c 'notification "taller_cambios"'
LISTEN taller_cambios;
INSERT INTO localizacion (id_localizacion, nombre) VALUES ('10000000-0000-0000-0000-0000000000ee', 'notify'), ('10000000-0000-0000-0000-0000000000ef', 'notify');
DELETE FROM localizacion WHERE nombre = 'notify';
SELECT 1;
SQL
)
if [ "$n" = 2 ]; then echo "notify: one taller_cambios per committed transaction: passed"
else echo "notify: expected 2 notifications, got $n" >&2; exit 1; fi

echo "== existing data before the change feed (backfill)"
recreate
for f in "$migs"/[0-9][0-9][0-9][0-9]_*.sql; do
    case "$(basename "$f")" in
        0004_*) psql_ -d "$DB" -1 -f "$here/backfill_fixture.sql" ;;
    esac
    apply "$f"
done
psql_ -d "$DB" -f "$here/backfill_check.sql"
psql_ -d "$DB" -f "$here/smoke.sql" >/dev/null && echo "smoke (on backfilled database): passed"
psql_ -d postgres -c "DROP DATABASE $DB"

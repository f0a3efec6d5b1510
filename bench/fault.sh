#!/usr/bin/env bash
# PostgreSQL faults: the portal under gunicorn on the local PostgreSQL, a steady load, and
# PostgreSQL restarted in the middle. Prints the errors during the outage, the seconds until
# answers are 200 again, and the errors after recovery (expected: 0).
#
#   bash bench/fault.sh            (from the repository, after `make test` built .venv)
#
# It uses a database of its own (ctg_fault, dropped and created again) and port 8310.
# Only loopback addresses are used; the load stops by itself after LOAD_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8310}
LOAD_SECONDS=${LOAD_SECONDS:-25}
OUTAGE_AT=${OUTAGE_AT:-6}
DB=ctg_fault
PGURL="postgres://postgres@127.0.0.1:5432"
CLUSTER=$(ls /etc/postgresql | head -n 1)
work=$(mktemp -d)
trap 'kill $(cat "$work/gunicorn.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

export DATABASE_URL="$PGURL/$DB"
export DJANGO_SECRET_KEY=fault-bench-only DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
export DJANGO_HSTS_SECONDS=0 DJANGO_LOG_LEVEL=WARNING

pg_isready -h 127.0.0.1 -q || pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main start
psql "$PGURL/postgres" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_ctg >/dev/null
.venv/bin/python manage.py seed_demo --force >/dev/null
.venv/bin/python manage.py collectstatic --noinput -v0

.venv/bin/gunicorn ctg_portal.wsgi --bind "127.0.0.1:$PORT" --workers 2 --pid "$work/gunicorn.pid" \
  --access-logfile /dev/null --error-logfile "$work/gunicorn.log" --daemon
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

.venv/bin/python bench/probe.py --base "http://127.0.0.1:$PORT" --seconds "$LOAD_SECONDS" \
  --path /conventions/thore-montagne-noire-2023-2025/ --marks "$work/marks" &
probe=$!
sleep "$OUTAGE_AT"
echo "down $(date +%s.%N)" > "$work/marks"
pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main restart
until pg_isready -h 127.0.0.1 -q; do sleep 0.1; done
echo "up $(date +%s.%N)" >> "$work/marks"
echo "PostgreSQL restarted"
status=0
wait $probe || status=$?
psql "$PGURL/postgres" -q -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
exit $status

#!/usr/bin/env bash
# Load benchmark: the portal under gunicorn (2 sync workers) on the local PostgreSQL, measured
# with wrk against a bare Django page in the same run, alternating, on two datasets:
#   - "seed": the seed convention and the demo accounts only;
#   - "national": the same plus `generate_dataset --conventions 1000` (CONVENTIONS=… for fewer).
# Pages: the dashboard, the sheet list, a sheet, the funding table, the overview, the CSV export,
# the meetings list, a meeting, its session mode, the bilan of 2024, the members page, and two
# API lists (the conventions, the sheets) read with an API token created for the bench user.
#
#   bash bench/load.sh                 (after `make test` built .venv)
#   ROUNDS=3 SECONDS_PER_RUN=5 KEEP_DB=1 bash bench/load.sh
#   KEEP_DB=1 DATASETS=national ONLY="CAF overview,dashboard" bash bench/load.sh
#
# Databases ctg_load_seed and ctg_load_national (created again unless KEEP_DB=1), port 8320,
# loopback only; every wrk run stops by itself after SECONDS_PER_RUN.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8320}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PGURL="postgres://postgres@127.0.0.1:5432"
SLUG=thore-montagne-noire-2023-2025
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
pg_isready -h 127.0.0.1 -q || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
work=$(mktemp -d)
trap 'kill $(cat "$work/gunicorn.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

export DJANGO_SETTINGS_MODULE=bench.settings
export DJANGO_SECRET_KEY=load-bench-only DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
export DJANGO_HSTS_SECONDS=0 DJANGO_LOG_LEVEL=WARNING DJANGO_AXES_ENABLED=false
.venv/bin/python manage.py collectstatic --noinput -v0

prepare() {  # prepare NAME [generate_dataset arguments]
  local db=$1; shift
  export DATABASE_URL="$PGURL/$db"
  if [ "${KEEP_DB:-}" = 1 ] && psql "$PGURL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
    .venv/bin/python manage.py migrate --noinput -v0
    return
  fi
  psql "$PGURL/postgres" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  .venv/bin/python manage.py migrate --noinput -v0
  .venv/bin/python manage.py seed_ctg >/dev/null
  .venv/bin/python manage.py seed_demo --force >/dev/null
  if [ $# -gt 0 ]; then
    /usr/bin/time -f "generate_dataset: %e s, %M KiB peak" .venv/bin/python manage.py generate_dataset "$@"
    # The CAF staff account also follows the 10 conventions of the first generated CAF.
    .venv/bin/python manage.py shell --no-imports -c "
from django.contrib.auth.models import User
from conventions.models import Convention, Membership
caf = User.objects.get(username='caf')
for c in Convention.objects.filter(slug__startswith='gen-ctg-', signatories__name='CAF gen 000'):
    Membership.objects.get_or_create(user=caf, convention=c, defaults={'role': 'caf_staff'})
"
  fi
  psql "$DATABASE_URL" -q -c "VACUUM ANALYZE"
}

measure() {  # measure LABEL
  # The seed's first demonstration meeting, and a fresh API token of the bench user.
  local meeting token
  meeting=$(.venv/bin/python manage.py shell --no-imports -c "
from committees.models import Meeting
print(Meeting.objects.filter(convention__slug='$SLUG').order_by('starts_at').values_list('pk', flat=True)[0])
")
  token=$(.venv/bin/python manage.py shell --no-imports -c "
from django.contrib.auth.models import User
from accounts.models import ApiToken
from api import tokens
user = User.objects.get(username='caf')
ApiToken.objects.filter(user=user, name='load bench').delete()
print(tokens.create(user, 'load bench')[1])
")
  .venv/bin/gunicorn bench.wsgi --bind "127.0.0.1:$PORT" --workers 2 --pid "$work/gunicorn.pid" \
    --access-logfile /dev/null --error-logfile "$work/gunicorn.log" --daemon
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  .venv/bin/python bench/load.py --base "http://127.0.0.1:$PORT" --user caf --password demo-ctg-2025 \
    --slug "$SLUG" --sheet 4 --meeting "$meeting" --year 2024 --members --token "$token" \
    --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" --label "$1" --only "${ONLY:-}"
  kill "$(cat "$work/gunicorn.pid")"; sleep 1
}

DATASETS=${DATASETS:-seed national}
if [[ " $DATASETS " == *" seed "* ]]; then
  prepare ctg_load_seed
  measure "seed (1 convention)"
fi
if [[ " $DATASETS " == *" national "* ]]; then
  CONVENTIONS=${CONVENTIONS:-1000}
  prepare ctg_load_national --conventions "$CONVENTIONS"
  measure "national ($((CONVENTIONS + 1)) conventions)"
fi

#!/usr/bin/env bash
# Several app servers: two gunicorn instances of the portal (ports 8101 and 8102) over one
# PostgreSQL (a throw-away database), one Redis (CACHE_URL=redis://127.0.0.1:6379/15) and one
# S3-compatible bucket (moto's standalone server: MinIO is in neither PyPI nor Debian's
# packages), checked through real HTTP by bench/multi_check.py:
#   - a user logged in on one instance is logged in on the other (the same cookie);
#   - a note posted on one (with CSRF) is on the other's page at once;
#   - a document uploaded through one downloads byte for byte through the other;
#   - a long PDF asked for on one, built in its background thread, is served by the other;
#   - send_reminders started on both at once sends each digest once;
# then throughput: wrk on the dashboard against one instance, then both at once.
#
#   bash bench/multi.sh            (after `make test` built .venv)
#   bash bench/multi.sh --quick    (the checks only, no wrk: what CI runs)
#   WORKERS=2 SECONDS_PER_RUN=10 bash bench/multi.sh
#
# Prints PASS/FAIL per check and a summary; exits non-zero on a failure. Stops everything it
# started (the instances, moto_server; Redis and PostgreSQL only if it started them).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
WORKERS=${WORKERS:-1}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PORT_A=${PORT_A:-8101}
PORT_B=${PORT_B:-8102}
S3_PORT=${S3_PORT:-8103}
PGURL="postgres://postgres@127.0.0.1:5432"
DB="ctg_multi_$$"
PY=.venv/bin/python
started=$(date +%s)
work=$(mktemp -d)
pids=()
redis_started=0

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$redis_started" = 1 ] && redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true
  psql "$PGURL/postgres" -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # wait_for URL: up to 30 s for an answer
  for _ in $(seq 1 60); do curl -s -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "FAIL  nothing answers at $1"; return 1
}

echo "=== Services"
pg_isready -h 127.0.0.1 -q || {
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
}
if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  redis_started=1
  for _ in $(seq 1 20); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -p 6379 -n 15 flushdb >/dev/null
command -v wrk >/dev/null || [ "$QUICK" = 1 ] || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
echo "PostgreSQL $(psql "$PGURL/postgres" -tAc 'SHOW server_version'), $(redis-server --version | cut -d' ' -f1-3)"

# The environment of both instances: production settings on plain HTTP, loopback only.
export DATABASE_URL="$PGURL/$DB" CACHE_URL=redis://127.0.0.1:6379/15
export S3_BUCKET=ctg-multi S3_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
export AWS_ACCESS_KEY_ID=multi AWS_SECRET_ACCESS_KEY=multi AWS_DEFAULT_REGION=us-east-1
export DJANGO_SECRET_KEY=multi-bench-only DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_SECURE_COOKIES=false DJANGO_HSTS_SECONDS=0 DJANGO_LOG_LEVEL=WARNING
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost EMAIL_URL=dummy:

.venv/bin/moto_server -H 127.0.0.1 -p "$S3_PORT" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_for "$S3_ENDPOINT_URL"
$PY bench/multi_check.py bucket "$S3_ENDPOINT_URL" "$S3_BUCKET"

echo "=== Database $DB: migrate, seed"
psql "$PGURL/postgres" -q -c "CREATE DATABASE $DB"
$PY manage.py migrate --noinput -v0
$PY manage.py seed_ctg >/dev/null
$PY manage.py seed_demo --force >/dev/null
$PY manage.py collectstatic --noinput -v0

echo "=== Two instances: $PORT_A and $PORT_B ($WORKERS worker(s) each)"
for port in "$PORT_A" "$PORT_B"; do
  # Each instance has its own (empty) MEDIA_ROOT: a file found through the other came from S3.
  # PRINTOUT_INLINE_BYTES=1000: the demo's bilan is built as a long PDF (in the background).
  MEDIA_ROOT="$work/media-$port" PRINTOUT_INLINE_BYTES=1000 .venv/bin/gunicorn ctg_portal.wsgi --bind "127.0.0.1:$port" \
    --workers "$WORKERS" --access-logfile /dev/null --error-logfile - 2>>"$work/gunicorn-$port.log" &
  pids+=($!)
done
wait_for "http://127.0.0.1:$PORT_A/healthz"
wait_for "http://127.0.0.1:$PORT_B/healthz"

echo "=== Checks"
status=0
$PY bench/multi_check.py http "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" || status=1
mkdir -p "$work/mail"
$PY bench/multi_check.py reminders "$work/mail" || status=1
for port in "$PORT_A" "$PORT_B"; do
  local_files=$( (find "$work/media-$port" -type f 2>/dev/null || true) | wc -l)
  if [ "$local_files" = 0 ]; then echo "PASS  nothing written under instance $port's MEDIA_ROOT"
  else echo "FAIL  $local_files file(s) under instance $port's MEDIA_ROOT"; status=1; fi
done

if [ "$QUICK" = 0 ]; then
  echo "=== Throughput: wrk -t2 -c4 -d${SECONDS_PER_RUN}s on the dashboard, logged in"
  cookie=$($PY bench/multi_check.py cookie "http://127.0.0.1:$PORT_A")
  page="/conventions/thore-montagne-noire-2023-2025/"
  rps() { grep 'Requests/sec' "$1" | awk '{print $2}'; }
  wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" -H "Cookie: $cookie" "http://127.0.0.1:$PORT_A$page" >"$work/one.txt"
  wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" -H "Cookie: $cookie" "http://127.0.0.1:$PORT_A$page" >"$work/a.txt" &
  wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" -H "Cookie: $cookie" "http://127.0.0.1:$PORT_B$page" >"$work/b.txt"
  wait %% 2>/dev/null || true
  sleep 1
  one=$(rps "$work/one.txt"); a=$(rps "$work/a.txt"); b=$(rps "$work/b.txt")
  errors=$(cat "$work"/one.txt "$work"/a.txt "$work"/b.txt | grep -c "Non-2xx" || true)
  awk -v one="$one" -v a="$a" -v b="$b" -v cores="$(nproc)" -v w="$WORKERS" 'BEGIN {
    printf "one instance:   %8.1f requests/s\n", one
    printf "two instances:  %8.1f requests/s (A %.1f + B %.1f)\n", a + b, a, b
    printf "ratio two/one:  %8.2f on %d cores, %d worker(s) per instance; wrk, PostgreSQL and\n", (a + b) / one, cores, w
    print  "                Redis share the same cores, so the ratio is bounded by the machine."
  }'
  [ "$errors" = 0 ] && echo "PASS  wrk saw only 2xx answers" || { echo "FAIL  wrk saw non-2xx answers"; status=1; }
fi

if [ "$status" != 0 ]; then
  for port in "$PORT_A" "$PORT_B"; do echo "--- instance $port's log"; tail -n 20 "$work/gunicorn-$port.log"; done
fi
echo "=== Summary: $([ "$status" = 0 ] && echo PASS || echo FAIL) in $(( $(date +%s) - started )) s"
exit "$status"

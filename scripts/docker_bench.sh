#!/bin/sh
# The bench image's entry point (docker-compose.yml, service `bench`):
#   docker compose run --rm bench [bench run options]           the harness, in this container
#   docker compose run --rm bench external [bench run options]  drive the running deployment
# Profile: BENCH_PROFILE (quick). It starts as root only to find who owns ./results (mounted
# at /app/results) and runs everything as that user, so the report on the host is theirs.
set -eu
owner=$(stat -c %u:%g /app/results)
if [ "${owner%%:*}" = 0 ]; then # ./results was created by Docker: keep it to the app user
  chown app:app /app/results
  owner="$(id -u app):$(id -g app)"
fi
as_owner="setpriv --reuid=${owner%%:*} --regid=${owner##*:} --clear-groups env HOME=/tmp"
profile=${BENCH_PROFILE:-quick}

if [ "${1:-}" = external ]; then
  shift
  # shellcheck disable=SC2086 # as_owner is a command line
  exec $as_owner python -m bench run "$profile" --external --api-url http://api:8000 "$@"
fi

# Its own database and queues on compose's Postgres and RabbitMQ: a run empties them, so it
# must never be the deployment's. The harness starts its own API, stub and workers here.
export DATABASE_URL="$BENCH_DATABASE_URL" STUB_URL=http://127.0.0.1:8090
export CELERY_QUEUE=bench.celery TASKIQ_QUEUE=bench.taskiq TASKIQ_EXCHANGE=bench.taskiq
# shellcheck disable=SC2086
$as_owner python -m scripts.ensure_db >/dev/null
# shellcheck disable=SC2086
$as_owner alembic upgrade head
# shellcheck disable=SC2086
exec $as_owner python -m bench run "$profile" "$@"

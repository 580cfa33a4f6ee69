#!/usr/bin/env bash
# The enqueue path of this checkout against an earlier commit, interleaved (ABBA by
# repetition): one API process each, no workers, `wrk -t1 -c$CONC -d${DUR}s` POSTing
# price_order jobs per backend; prints requests/s, p50/p99 and the API's CPU ms per job,
# then new / old per backend (95% t-interval on the paired log-ratios, scripts/enqueue_ratios.py).
# usage: scripts/compare_enqueue.sh REF [REPS] [CONC] [DUR]   (needs wrk: apt-get install wrk)
set -euo pipefail
REF=$1; REPS=${2:-5}; CONC=${3:-16}; DUR=${4:-10}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OLD=${OLD_TREE:-/tmp/queuebench-$REF}
PORT=${PORT:-8011}
[ -d "$OLD" ] || git -C "$HERE" worktree add --detach "$OLD" "$REF" >/dev/null
(cd "$OLD" && uv sync --frozen -q)
declare -A DIR=([old]=$OLD [new]=$HERE)
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<'LUA'
local backend = os.getenv("BACKEND")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"backend":"' .. backend .. '","task":"price_order","payload":{"items":[{"sku":"A","qty":3},{"sku":"B","qty":1}],"prices":{"A":"0.10","B":"2.50"}}}'
done = function(s, latency)
  io.write(string.format("rps=%.1f p50_ms=%.1f p99_ms=%.1f errors=%d non2xx=%d\n",
    s.requests / (s.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status))
end
LUA
for v in old new; do  # a database and queues of their own for each side
  db=queuebench_enqueue_$v
  psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1 \
    || createdb -h 127.0.0.1 -U postgres "$db"
  (cd "${DIR[$v]}" && DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/$db \
    .venv/bin/alembic upgrade head >/dev/null 2>&1)
  psql -h 127.0.0.1 -U postgres -d "$db" -qc "truncate jobs cascade"
done
one() {  # side backend rep
  local v=$1 b=$2 rep=$3
  rabbitmqctl -q purge_queue "enqueue.$v.$b" >/dev/null 2>&1 || true
  (cd "${DIR[$v]}" && DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/queuebench_enqueue_$v \
    CELERY_QUEUE=enqueue.$v.celery TASKIQ_QUEUE=enqueue.$v.taskiq \
    exec .venv/bin/uvicorn api.main:app --host 127.0.0.1 --port "$PORT" --log-level warning) &
  local pid=$!
  until curl -fs "localhost:$PORT/health" >/dev/null 2>&1; do sleep 0.1; done
  BACKEND=$b wrk -t1 -c"$CONC" -d2s -s "$LUA" "http://127.0.0.1:$PORT/jobs" >/dev/null  # warm-up
  local t0 t1 out
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  out=$(BACKEND=$b wrk -t1 -c"$CONC" -d"${DUR}s" -s "$LUA" "http://127.0.0.1:$PORT/jobs" | grep rps=)
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local rps=${out#rps=}; rps=${rps%% *}
  echo "rep=$rep side=$v ref=$([ $v = old ] && echo "$REF" || echo HEAD) backend=$b conc=$CONC $out" \
    "api_cpu_ms_per_job=$(python3 -c "print(round(($t1-$t0)*10/($rps*$DUR), 2))")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
LINES=$(mktemp)
for rep in $(seq 0 $((REPS - 1))); do
  if ((rep % 2 == 0)); then order="old new"; else order="new old"; fi
  for v in $order; do for b in celery taskiq; do one "$v" "$b" "$rep" | tee -a "$LINES"; done; done
done
(cd "$HERE" && PYTHONPATH=. .venv/bin/python scripts/enqueue_ratios.py < "$LINES")
rm -f "$LUA" "$LINES"

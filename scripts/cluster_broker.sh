#!/usr/bin/env bash
# The compose cluster (three RabbitMQ 4 nodes behind HAProxy: docker-compose.cluster.yml)
# for the harness or the test suite on this host, e.g. the benchmark's node-loss fault:
#   eval "$(scripts/cluster_broker.sh)" && uv run python -m bench run standard --faults node-loss
# Starts it afresh as compose project queuebench-cluster (random credentials and cookie;
# AMQP on 127.0.0.1:5674 and the management API on 127.0.0.1:15674, both through HAProxy),
# waits until it is up, and prints the settings that aim the harness at it. `down`: remove it.
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=queuebench-cluster
export CLUSTER_AMQP_PORT=${CLUSTER_AMQP_PORT:-5674} RABBITMQ_UI_PORT=${RABBITMQ_UI_PORT:-15674}
files=(-f docker-compose.yml -f docker-compose.cluster.yml -f deploy/cluster/publish-amqp.yml)
random() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
# Only the broker's services start; the rest of the file must still interpolate.
export POSTGRES_PASSWORD=unused FLOWER_BASIC_AUTH=unused:unused RABBITMQ_USER=qbcluster
export RABBITMQ_PASSWORD RABBITMQ_COOKIE
RABBITMQ_PASSWORD=$(random)
RABBITMQ_COOKIE=$(random)
docker compose "${files[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
if [ "${1:-}" = "down" ]; then exit 0; fi
started=$(date +%s)
docker compose "${files[@]}" up -d --wait rabbitmq >&2
containers=()
for node in rabbit-1 rabbit-2 rabbit-3; do
  containers+=("$(docker compose "${files[@]}" ps --format '{{.Name}}' "$node")")
done
running=$(docker exec "${containers[0]}" rabbitmqctl -q cluster_status --formatter json |
  python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["running_nodes"])))')
echo "# cluster up in $(( $(date +%s) - started )) s: $running" >&2
if [ "$(wc -w <<<"$running")" -ne 3 ]; then
  echo "error: the cluster runs $running, not three nodes: see docker compose -p $COMPOSE_PROJECT_NAME logs" >&2
  exit 1
fi
nodes=$(IFS=,; echo "${containers[*]}")
echo "export AMQP_URL=amqp://$RABBITMQ_USER:$RABBITMQ_PASSWORD@127.0.0.1:$CLUSTER_AMQP_PORT/"
echo "export RABBITMQ_MANAGEMENT_URL=http://$RABBITMQ_USER:$RABBITMQ_PASSWORD@127.0.0.1:$RABBITMQ_UI_PORT"
# For the broker faults; node-loss never uses it (it may kill that node), only RABBITMQ_NODES.
echo "export RABBITMQCTL='docker exec ${containers[0]} rabbitmqctl'"
echo "export RABBITMQ_NODES=$nodes"

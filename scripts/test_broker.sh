#!/usr/bin/env bash
# A RabbitMQ container on this host for the test suite (CI runs the suite on RabbitMQ 4 so):
#   eval "$(scripts/test_broker.sh rabbitmq:4.0-management)" && make test
# Starts the image afresh (random credentials, AMQP on 127.0.0.1:5673, management on 15673),
# waits until it runs, and prints the settings that aim the suite at it.
set -euo pipefail
image=${1:?usage: scripts/test_broker.sh IMAGE (e.g. rabbitmq:4.0-management)}
name=queuebench-test-rabbitmq
user=qbtest
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --hostname "$name" \
  -e RABBITMQ_DEFAULT_USER="$user" -e RABBITMQ_DEFAULT_PASS="$password" \
  -e RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-rabbit disk_free_limit 1147483648" \
  -p 127.0.0.1:5673:5672 -p 127.0.0.1:15673:15672 "$image" >/dev/null
for _ in $(seq 120); do
  docker exec "$name" rabbitmq-diagnostics -q check_running >/dev/null 2>&1 && break
  sleep 1
done
docker exec "$name" rabbitmq-diagnostics -q check_running >&2
version=$(docker exec "$name" rabbitmqctl -q version)
echo "# $image: RabbitMQ $version in container $name" >&2
echo "export AMQP_URL=amqp://$user:$password@127.0.0.1:5673/"
echo "export RABBITMQ_MANAGEMENT_URL=http://$user:$password@127.0.0.1:15673"
echo "export RABBITMQCTL='docker exec $name rabbitmqctl'"

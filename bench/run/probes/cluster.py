"""A RabbitMQ cluster whose nodes are docker containers here (RABBITMQ_NODES): which node
is which, what rabbitmqctl on one of them says of the cluster and of a queue (its leader,
members and online members), and whether the harness can kill and start them."""

import json
import shutil
import subprocess
import time
from typing import Any

from core.settings import Settings

DOCKER_TIMEOUT_S = 60.0
HOW = 'start one and aim the harness at it with `eval "$(scripts/cluster_broker.sh)"`'


class ClusterError(RuntimeError):
    """A docker or rabbitmqctl call failed; the message says which and why."""


def docker(*args: str, timeout: float = DOCKER_TIMEOUT_S) -> str:
    try:
        done = subprocess.run(["docker", *args], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"docker {args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise ClusterError(f"docker {' '.join(args[:2])}: {done.stderr.strip()[-300:]}")
    return done.stdout


def nodes(settings: Settings) -> dict[str, str]:
    """RabbitMQ node name (rabbit@<hostname>) -> its container, for RABBITMQ_NODES."""
    found = {}
    for container in settings.rabbitmq_nodes:
        hostname = docker("inspect", "-f", "{{.Config.Hostname}}", container).strip()
        found[f"rabbit@{hostname}"] = container
    return found


def ctl(container: str, *args: str) -> Any:
    """rabbitmqctl on that node, its JSON answer."""
    out = docker("exec", container, "rabbitmqctl", "-q", *args, "--formatter", "json")
    try:
        return json.loads(out)
    except ValueError as exc:
        raise ClusterError(f"rabbitmqctl {args[0]} on {container}: not JSON: {out[:200]}") from exc


def queue_state(container: str, queue: str) -> dict[str, Any]:
    """The queue's leader, members and online members, as that node sees them."""
    listed = ctl(container, "list_queues", "name", "leader", "members", "online")
    found: list[dict[str, Any]] = [q for q in listed if q.get("name") == queue]
    if not found:
        raise ClusterError(f"{queue} is not declared on the cluster")
    return found[0]


def problem(settings: Settings) -> str | None:
    """Why node-loss cannot be struck here, or None."""
    if len(settings.rabbitmq_nodes) < 3:
        return f"needs RABBITMQ_NODES, the containers of a three-node RabbitMQ cluster: {HOW}"
    if shutil.which("docker") is None:
        return "needs the docker CLI, to kill and start a node of RABBITMQ_NODES"
    try:
        found = nodes(settings)
        running = ctl(next(iter(found.values())), "cluster_status")["running_nodes"]
    except (ClusterError, ValueError, KeyError) as exc:
        return f"RABBITMQ_NODES is not a running cluster here ({exc}): {HOW}"
    missing = sorted(set(found) - set(running))
    if missing:
        return f"{', '.join(missing)} of RABBITMQ_NODES not running in the cluster: {HOW}"
    return None


def elected(survivor: str, queue: str, old: str) -> tuple[str, float] | None:
    """(the new leader, when seen) once the queue has a leader other than `old`."""
    try:
        leader = queue_state(survivor, queue)["leader"]
    except (ClusterError, KeyError):  # the node is still sorting out its peer's death
        return None
    return (leader, time.time()) if leader and leader != old else None


def rejoined(survivor: str, queue: str, node: str) -> float | None:
    """When `node` was seen running in the cluster and online for the queue."""
    try:
        running = ctl(survivor, "cluster_status")["running_nodes"]
        online = queue_state(survivor, queue)["online"]
    except (ClusterError, KeyError):
        return None
    return time.time() if node in running and node in online else None

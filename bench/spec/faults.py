"""The faults, as data: what each breaks, and what it needs to break it. The harness's
bench/run/faults.py injects them; an external run can inject only those that need no
process of the deployment."""

from dataclasses import dataclass
from enum import StrEnum


class Needs(StrEnum):
    processes = "processes"  # kills or restarts processes the harness started
    broker_admin = "broker admin"  # rabbitmqctl on the broker's host, or its management API
    database = "database"  # SQL on the jobs database (pg_terminate_backend)
    queue = "queue"  # publishing to the backend's queue


@dataclass(frozen=True)
class Fault:
    name: str
    needs: Needs
    what: str


FAULTS: tuple[Fault, ...] = (
    Fault("worker-kill", Needs.processes,
          "SIGKILL one worker process (a Celery pool child, a Taskiq worker, a threads worker)"),
    Fault("worker-kill-parent", Needs.processes,
          "SIGKILL the worker's main process (Celery parent, Taskiq manager), then restart"),
    Fault("broker-drop", Needs.broker_admin, "close every client connection at RabbitMQ"),
    Fault("db-drop", Needs.database, "terminate the workers' Postgres connections"),
    Fault("graceful-stop", Needs.processes, "SIGTERM to the worker's main process, then restart"),
    Fault("poison", Needs.queue, "malformed and unknown-task messages put on the queue"),
    Fault("api-kill", Needs.processes, "SIGKILL the API mid-load, then restart it"),
)  # fmt: skip
BY_NAME = {f.name: f for f in FAULTS}
NAMES = tuple(BY_NAME)
# What an external run can inject: nothing that needs the deployment's processes.
EXTERNAL = tuple(f.name for f in FAULTS if f.needs is not Needs.processes)

"""The faults, as data: what each breaks, what it needs to break it, and the cell every
fault runs in. bench/run/faults/ holds one injector per fault named here; an external run
can inject only those that need no process of the deployment."""

from dataclasses import dataclass
from enum import StrEnum


class Needs(StrEnum):
    processes = "processes"  # kills or restarts processes the harness started
    broker_admin = "broker admin"  # rabbitmqctl on the broker's host, or its management API
    broker_host = "broker host"  # rabbitmqctl where the broker runs (restart, alarm)
    database = "database"  # SQL on the jobs database (pg_terminate_backend, a lock)
    database_host = "database host"  # pg_ctlcluster where Postgres runs (restart)
    queue = "queue"  # publishing to the backend's queue
    cluster = "cluster"  # a RabbitMQ cluster whose nodes are containers here (RABBITMQ_NODES)


@dataclass(frozen=True)
class Fault:
    name: str
    needs: Needs
    what: str
    lasts_s: float = 0.0  # how long it stays broken (the outage, the alarm, the lock)
    # How long its strike waits, at most, for the clients to notice and come back (a
    # silence, a lost node): the bound they are held to, and the cell leaves room for it.
    notice_bound_s: float = 0.0
    touches_api: bool = True  # False: the API's refusals while it lasts are not its doing

    def load_s(self, at_least: float) -> float:
        """The cell's measured load: a third before the strike, room after it to recover."""
        return max(at_least, 3 * self.lasts_s, 1.5 * (self.notice_bound_s + self.lasts_s))


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
    Fault("broker-restart", Needs.broker_host,
          "RabbitMQ's application stopped for 5 s, then started (rabbitmqctl stop_app/start_app)",
          lasts_s=5.0),
    Fault("broker-alarm", Needs.broker_host,
          "RabbitMQ's memory alarm for 6 s: it blocks every publisher, consumers go on",
          lasts_s=6.0),
    Fault("db-restart", Needs.database_host, "PostgreSQL restarted (pg_ctlcluster restart)",
          lasts_s=3.0),
    Fault("job-hang", Needs.database,
          "the orders table locked for 10 s: price_order jobs hang past their 3 s deadline",
          lasts_s=10.0),
    Fault("silent-connection", Needs.processes,
          "the workers' and the API's AMQP connections go silent (no FIN, no RST); new ones work",
          notice_bound_s=30.0),
    Fault("reconnect-with-prefetch", Needs.processes,
          "the workers' AMQP connections cut while they hold prefetched, unacked messages",
          notice_bound_s=20.0, touches_api=False),
    Fault("node-loss", Needs.cluster,
          "docker kill the RabbitMQ node leading the job queue; 10 s later it starts again",
          lasts_s=10.0, notice_bound_s=20.0),
)  # fmt: skip
BY_NAME = {f.name: f for f in FAULTS}
NAMES = tuple(BY_NAME)
# What an external run can inject: nothing that needs the deployment's processes.
EXTERNAL = tuple(f.name for f in FAULTS if f.needs is not Needs.processes)

# Every fault cell: this scenario at the profile's fault_rate, its workers holding every
# transaction FAULT_HOLD_MS (so a fault finds jobs in flight) under FAULT_DEADLINES_S: short
# enough that job-hang cuts attempts within the cell, long enough that no healthy fault_mix
# job (200 ms held) comes near them.
FAULT_SCENARIO = "fault_mix"
FAULT_HOLD_MS = 200
FAULT_DEADLINES_S = {"price_order": 3.0, "fetch_rates": 3.0}

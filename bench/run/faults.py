"""Faults injected mid-load, the same way for both backends (bench/spec/faults.py names
them). Each is a function of the striking cell: it breaks something, then brings the
system back the way an operator (or the library) would. What got lost, duplicated or
delayed is measured from the jobs table afterwards. A fault that finds nothing to break
raises NotStruck: its cell proves nothing and is left out of every count."""

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil
from kombu import Connection
from sqlalchemy import text

from bench.raw import Cell, Marks
from bench.run import rabbit
from bench.run.context import Context
from bench.run.wait import within
from core.contract import Backend
from core.db import WORKER_ROLE
from core.settings import Settings

FAULT_WAIT_S = 3.0  # at most, for jobs in flight before a kill (inside the load)
KILL_AT_RUNNING = 3  # jobs running across async/threads workers when one is killed


class NotStruck(Exception):
    """The fault found nothing to break: its cell proves nothing and does not count."""


@dataclass
class FaultContext:
    run: Context
    cell: Cell
    marks: Marks

    @property
    def backend(self) -> Backend:
        return self.cell.backend

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def note(self, text: str) -> None:
        self.marks.fault_notes.append(text)

    def struck(self) -> None:
        """The fault's time: at the kill, after any wait for work in flight."""
        self.marks.t_fault = self.run.db.now()

    def restart_workers(self, name: str | None) -> None:
        """One worker process by name, or all of them, as a supervisor would; then consuming."""
        if name is None:
            self.run.workers.stop()
            self.run.workers.start(self.cell)
        else:
            self.run.workers.restart(name)
        self.run.workers.wait_consuming(self.cell)


def _first_worker(ctx: FaultContext) -> tuple[str, psutil.Process]:
    name = ctx.run.procs.of("workers")[0]
    return name, psutil.Process(ctx.run.procs.running[name].pid)


def _strike_when(ctx: FaultContext, status: str, at_least: int) -> int:
    """Wait (at most FAULT_WAIT_S) until `at_least` rows have `status`: a fault that finds
    nothing in flight proves nothing. Returns the count found."""

    def enough() -> int:
        found = ctx.run.db.count_status(status)
        return found if found >= at_least else 0

    found = within(enough, FAULT_WAIT_S, 0.005) or ctx.run.db.count_status(status)
    ctx.struck()  # recovery is timed from the kill, not from the wait
    return found


def _in_flight_wanted(ctx: FaultContext, children: list[psutil.Process]) -> int:
    """Prefork runs one job per child: all of them busy means the victim is too."""
    prefork = ctx.backend is Backend.celery and children
    return len(children) if prefork else KILL_AT_RUNNING


def worker_kill(ctx: FaultContext) -> None:
    """SIGKILL one worker process: a Celery prefork child or a Taskiq worker, which
    their supervisor (Celery's parent, Taskiq's manager) replaces; or one Celery
    threads-pool worker, restarted as a process supervisor would."""
    name, root = _first_worker(ctx)
    children = root.children()
    victim = children[0] if children else root
    running = _strike_when(ctx, "running", _in_flight_wanted(ctx, children))
    os.kill(victim.pid, signal.SIGKILL)
    if not children:
        ctx.restart_workers(name)
    of = f"one of {len(children)} worker processes" if children else "a threads-pool worker"
    ctx.note(f"SIGKILL pid {victim.pid} ({of}) with {running} job(s) running")


def worker_kill_parent(ctx: FaultContext) -> None:
    """SIGKILL a worker's main process (Celery parent / Taskiq manager / one threads-pool
    worker), then restart it as a process supervisor would."""
    name, root = _first_worker(ctx)
    running = _strike_when(ctx, "running", _in_flight_wanted(ctx, root.children()))
    os.kill(root.pid, signal.SIGKILL)
    ctx.note(f"SIGKILL main pid {root.pid} with {running} job(s) running; restarted")
    ctx.restart_workers(name if len(ctx.run.procs.of("workers")) > 1 else None)


def graceful_stop(ctx: FaultContext) -> None:
    """SIGTERM to the worker's main process (what `docker stop` sends), then restart."""
    started = time.monotonic()
    ctx.run.procs.stop_all("workers")
    ctx.note(f"SIGTERM; worker exited after {time.monotonic() - started:.1f}s; restarted")
    ctx.restart_workers(None)


def broker_drop(ctx: FaultContext) -> None:
    """Close every client connection at RabbitMQ (API publishers and workers)."""
    closed = rabbit.close_all_connections(ctx.settings, "queuebench fault: broker-drop")
    if closed == 0:
        raise NotStruck("RabbitMQ had no client connection to close")
    ctx.note(
        "every client connection closed" + (f" ({closed})" if closed > 0 else " (rabbitmqctl)")
    )


def db_drop(ctx: FaultContext) -> None:
    """Terminate the workers' Postgres backends (found by application_name)."""
    sql = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :role AND datname = current_database()"
    )
    with ctx.run.db.engine.connect() as conn:
        killed = conn.scalar(sql, {"role": WORKER_ROLE})
    if not killed:
        raise NotStruck(f"no Postgres connection with application_name={WORKER_ROLE}")
    ctx.note(f"pg_terminate_backend on {killed} worker connection(s)")


def api_kill(ctx: FaultContext) -> None:
    """SIGKILL the API mid-load (rows committed but not yet published are left
    `publishing`), then restart it as a supervisor would; its recovery publishes them."""
    pid = ctx.run.procs.running["api"].pid
    _strike_when(ctx, "publishing", 1)
    os.kill(pid, signal.SIGKILL)
    left = ctx.run.db.count_status("publishing")
    ctx.note(f"SIGKILL API pid {pid} with {left} row(s) publishing; API restarted")
    ctx.run.services.restart_api()


def poison_messages(settings: Settings, backend: Backend) -> int:
    """Publish malformed and unknown-task messages straight onto the backend's queue."""
    with Connection(settings.amqp_url, connect_timeout=5) as conn:
        producer = conn.Producer()
        if backend is Backend.celery:
            queue = settings.celery_queue
            bad = [
                # Celery protocol 2 headers, but a task no worker knows.
                ({"id": "poison-unknown", "task": "no_such_task", "lang": "py"}, "[[], {}, {}]"),
                # A known task name with a body that is not JSON.
                ({"id": "poison-garbage", "task": "price_order", "lang": "py"}, "{not json"),
            ]
            for headers, body in bad:
                producer.publish(
                    body,
                    routing_key=queue,
                    exchange=queue,
                    headers=headers,
                    content_type="application/json",
                    content_encoding="utf-8",
                    serializer=None,
                )
        else:
            queue, exchange = settings.taskiq_queue, settings.taskiq_exchange
            unknown = {
                "task_id": "poison-unknown",
                "task_name": "no_such_task",
                "labels": {},
                "args": [],
                "kwargs": {},
            }
            for body in (json.dumps(unknown), "{not json"):
                producer.publish(body, routing_key=queue, exchange=exchange, serializer=None)
    return 2


def poison(ctx: FaultContext) -> None:
    n = poison_messages(ctx.settings, ctx.backend)
    ctx.note(f"{n} poison messages published (unknown task, malformed body)")


INJECT: dict[str, Callable[[FaultContext], None]] = {
    "worker-kill": worker_kill,
    "worker-kill-parent": worker_kill_parent,
    "broker-drop": broker_drop,
    "db-drop": db_drop,
    "graceful-stop": graceful_stop,
    "poison": poison,
    "api-kill": api_kill,
}


def strike_later(ctx: Context, cell: Cell, marks: Marks) -> threading.Thread:
    """Strike a third of the way into the measured load, from a thread."""
    assert cell.fault is not None
    fault = FaultContext(ctx, cell, marks)
    at = ctx.profile.warmup_s + ctx.profile.fault_duration_s / 3

    def strike() -> None:
        time.sleep(at)  # the schedule: a third of the way in
        fault.struck()
        try:
            INJECT[cell.fault](fault)  # type: ignore[index]
        except NotStruck as exc:  # the cell is invalid: nothing was survived
            fault.note(f"fault did not strike: {exc}")
        except Exception as exc:  # recorded, and the cell is invalid
            fault.note(f"fault injection failed: {type(exc).__name__}: {exc}")
        marks.t_fault_done = ctx.db.now()

    thread = threading.Thread(target=strike, name="fault", daemon=True)
    thread.start()
    return thread

"""Faults that kill or stop processes the harness started (workers, the API), then bring
them back as a supervisor would; a kill waits (briefly) for work in flight, since a fault
that finds nothing proves nothing."""

import os
import signal
import time
from collections.abc import Mapping
from typing import ClassVar

import psutil

from bench.run.faults.injector import Injector
from bench.run.faults.strike import FaultContext
from bench.run.wait import within
from core.contract import Backend

FAULT_WAIT_S = 3.0  # at most, for jobs in flight before a kill (inside the load)
KILL_AT_RUNNING = 3  # jobs running across async/threads workers when one is killed


def first_worker(ctx: FaultContext) -> tuple[str, psutil.Process]:
    name = ctx.run.procs.of("workers")[0]
    return name, psutil.Process(ctx.run.procs.running[name].pid)


def strike_when(ctx: FaultContext, status: str, at_least: int) -> int:
    """Wait (at most FAULT_WAIT_S) until `at_least` rows have `status`: a fault that finds
    nothing in flight proves nothing. Returns the count found."""

    def enough() -> int:
        found = ctx.run.db.count_status(status)
        return found if found >= at_least else 0

    found = within(enough, FAULT_WAIT_S, 0.005) or ctx.run.db.count_status(status)
    ctx.struck()  # recovery is timed from the kill, not from the wait
    return found


def in_flight_wanted(ctx: FaultContext, children: list[psutil.Process]) -> int:
    """Prefork runs one job per child: all of them busy means the victim is too."""
    prefork = ctx.backend is Backend.celery and children
    return len(children) if prefork else KILL_AT_RUNNING


class WorkerKill(Injector):
    """SIGKILL one worker process: a Celery prefork child or a Taskiq worker, which
    their supervisor (Celery's parent, Taskiq's manager) replaces; or one Celery
    threads-pool worker, restarted as a process supervisor would."""

    name = "worker-kill"

    def strike(self, ctx: FaultContext) -> None:
        name, root = first_worker(ctx)
        children = root.children()
        victim = children[0] if children else root
        running = strike_when(ctx, "running", in_flight_wanted(ctx, children))
        os.kill(victim.pid, signal.SIGKILL)
        if not children:
            ctx.restart_workers(name)
        of = f"one of {len(children)} worker processes" if children else "a threads-pool worker"
        ctx.note(f"SIGKILL pid {victim.pid} ({of}) with {running} job(s) running")


class WorkerKillParent(Injector):
    """SIGKILL a worker's main process (Celery parent / Taskiq manager / one threads-pool
    worker), then restart it as a process supervisor would."""

    name = "worker-kill-parent"

    def strike(self, ctx: FaultContext) -> None:
        name, root = first_worker(ctx)
        running = strike_when(ctx, "running", in_flight_wanted(ctx, root.children()))
        os.kill(root.pid, signal.SIGKILL)
        ctx.note(f"SIGKILL main pid {root.pid} with {running} job(s) running; restarted")
        ctx.restart_workers(name if len(ctx.run.procs.of("workers")) > 1 else None)


class GracefulStop(Injector):
    """SIGTERM to the worker's main process (what `docker stop` sends), then restart."""

    name = "graceful-stop"

    def strike(self, ctx: FaultContext) -> None:
        started = time.monotonic()
        ctx.run.procs.stop_all("workers")
        ctx.note(f"SIGTERM; worker exited after {time.monotonic() - started:.1f}s; restarted")
        ctx.restart_workers(None)


class ApiKill(Injector):
    """SIGKILL the API mid-load (rows committed but not yet published are left
    `publishing`), then restart it as a supervisor would; its recovery publishes them."""

    name = "api-kill"
    publish_delay_ms = 300  # commit -> publish widened, so the kill finds rows there
    # The API's recovery finds the kill's rows within the cell. Every run's processes get
    # it (the API reads it at its start, and one API serves every cell).
    run_env: ClassVar[Mapping[str, str]] = {"OUTBOX_GRACE_S": "12"}

    def strike(self, ctx: FaultContext) -> None:
        pid = ctx.run.procs.running["api"].pid
        strike_when(ctx, "publishing", 1)
        os.kill(pid, signal.SIGKILL)
        left = ctx.run.db.count_status("publishing")
        ctx.note(f"SIGKILL API pid {pid} with {left} row(s) publishing; API restarted")
        ctx.run.services.restart_api()

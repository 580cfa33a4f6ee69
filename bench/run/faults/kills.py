"""Faults that kill or stop processes the harness started (workers, the API), then bring
them back as a supervisor would."""

import os
import signal
import time

from bench.run.faults.strike import FaultContext, _first_worker, _in_flight_wanted, _strike_when


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


def api_kill(ctx: FaultContext) -> None:
    """SIGKILL the API mid-load (rows committed but not yet published are left
    `publishing`), then restart it as a supervisor would; its recovery publishes them."""
    pid = ctx.run.procs.running["api"].pid
    _strike_when(ctx, "publishing", 1)
    os.kill(pid, signal.SIGKILL)
    left = ctx.run.db.count_status("publishing")
    ctx.note(f"SIGKILL API pid {pid} with {left} row(s) publishing; API restarted")
    ctx.run.services.restart_api()

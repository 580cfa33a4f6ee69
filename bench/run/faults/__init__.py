"""Faults injected mid-load, the same way for both backends (bench/spec/faults.py names
them and says what each needs): bench/run/kills.py stops processes the harness owns,
bench/run/outages.py breaks the shared parts. A fault strikes a third of the way into its
cell's load; one that finds nothing to break, or cannot be injected, makes the cell
invalid: it proves nothing and is left out of every count."""

import threading
import time
from collections.abc import Callable

from bench.raw import Cell, Marks
from bench.run.context import Context
from bench.run.faults import kills, outages
from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.probes import rabbit
from bench.spec.faults import BY_NAME, Needs
from core.settings import Settings

INJECT: dict[str, Callable[[FaultContext], None]] = {
    "worker-kill": kills.worker_kill,
    "worker-kill-parent": kills.worker_kill_parent,
    "graceful-stop": kills.graceful_stop,
    "api-kill": kills.api_kill,
    "broker-drop": outages.broker_drop,
    "db-drop": outages.db_drop,
    "poison": outages.poison,
    "broker-restart": outages.broker_restart,
    "broker-alarm": outages.broker_alarm,
    "db-restart": outages.db_restart,
    "job-hang": outages.job_hang,
}


def problem(fault: str, settings: Settings) -> str | None:
    """Why `fault` cannot be injected against these services from here, or None."""
    match BY_NAME[fault].needs:
        case Needs.broker_host:
            return outages.broker_host_problem(settings)
        case Needs.database_host:
            return outages.pg_host_problem(settings)
        case Needs.broker_admin:
            try:
                rabbit.how(settings)
            except (rabbit.Unavailable, OSError) as exc:
                return f"needs rabbitmqctl or RabbitMQ's management API: {exc}"
    return None


def strike_later(ctx: Context, cell: Cell, marks: Marks) -> threading.Thread:
    """Strike a third of the way into the measured load, from a thread."""
    assert cell.fault is not None
    fault = FaultContext(ctx, cell, marks)
    at = ctx.profile.warmup_s + BY_NAME[cell.fault].load_s(ctx.profile.fault_duration_s) / 3

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

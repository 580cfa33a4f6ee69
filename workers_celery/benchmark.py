"""What only the benchmark's Celery workers load (`--include workers_celery.benchmark`):
the two probe tasks (core/jobs/probes.py: what the queue path costs) and the fault hooks
its settings ask for (core/test_hooks.py). Not for copying."""

from typing import Any

from celery.signals import worker_ready

from core import test_hooks
from core.jobs import probes
from core.jobs.probes import ProbeName
from core.lifecycle import Outcome
from core.settings import get_settings
from workers_celery.app import app
from workers_celery.bridge import run_job

probes.register()
test_hooks.install(get_settings())
TICK_S = 1.0


@worker_ready.connect
def tick(sender: Any, **_: Any) -> None:
    """The benchmark's workers run without heartbeats (bench/run/commands.py). The heartbeat's
    timer was what woke an idle threads-pool worker's event loop: without it a warm shutdown
    waits out the loop's 10 s poll (measured: 9.5 s against 1.2 s). A no-op timer restores
    the wake-up, and publishes nothing."""
    if getattr(sender, "hub", None) is not None:
        sender.hub.call_repeatedly(TICK_S, lambda: None)


@app.task(name=ProbeName.noop.value)
def noop(job_id: str) -> Outcome:
    return run_job(ProbeName.noop, job_id)


@app.task(name=ProbeName.sleep.value)
def sleep(job_id: str) -> Outcome:
    return run_job(ProbeName.sleep, job_id)

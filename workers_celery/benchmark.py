"""What only the benchmark's Celery workers load (`--include workers_celery.benchmark`):
the two probe tasks (core/jobs/probes.py: what the queue path costs) and the fault hooks
its settings ask for (core/test_hooks.py). Not for copying."""

from core import test_hooks
from core.jobs import probes
from core.jobs.probes import ProbeName
from core.lifecycle import Outcome
from core.settings import get_settings
from workers_celery.app import app
from workers_celery.bridge import run_job

probes.register()
test_hooks.install(get_settings())


@app.task(name=ProbeName.noop.value)
def noop(job_id: str) -> Outcome:
    return run_job(ProbeName.noop, job_id)


@app.task(name=ProbeName.sleep.value)
def sleep(job_id: str) -> Outcome:
    return run_job(ProbeName.sleep, job_id)

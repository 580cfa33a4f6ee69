"""The two probe tasks (core/jobs/probes.py): what the queue path costs. Not for copying."""

from core.contract import TaskName
from core.lifecycle import Outcome
from workers_celery.app import app
from workers_celery.bridge import run_job


@app.task(name=TaskName.noop.value)
def noop(job_id: str) -> Outcome:
    return run_job(TaskName.noop, job_id)


@app.task(name=TaskName.sleep.value)
def sleep(job_id: str) -> Outcome:
    return run_job(TaskName.sleep, job_id)

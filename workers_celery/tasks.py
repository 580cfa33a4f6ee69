"""Four thin sync tasks, named as the API publishes them (core.contract.TaskName).

Like a Django view: take the job id from the message, hand it to core, nothing else.
"""

from core.contract import TaskName
from core.lifecycle import Outcome
from core.periodic import TICK_TASK
from workers_celery.app import app
from workers_celery.bridge import run_job, run_tick_job


@app.task(name=TaskName.price_order.value)
def price_order(job_id: str) -> Outcome:
    return run_job(TaskName.price_order, job_id)


@app.task(name=TaskName.sales_report.value)
def sales_report(job_id: str) -> Outcome:
    return run_job(TaskName.sales_report, job_id)


@app.task(name=TaskName.fetch_rates.value)
def fetch_rates(job_id: str) -> Outcome:
    return run_job(TaskName.fetch_rates, job_id)


@app.task(name=TaskName.render_invoice.value)
def render_invoice(job_id: str) -> Outcome:
    return run_job(TaskName.render_invoice, job_id)


@app.task(name=TICK_TASK)
def periodic_tick(task: str, tick_at: float) -> Outcome:
    """Sent by celery beat (beat_schedule in workers_celery/app.py)."""
    return run_tick_job(task, tick_at)

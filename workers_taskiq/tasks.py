"""Four thin async tasks, named as the API publishes them (core.contract.TaskName)."""

from core.contract import Backend, TaskName
from core.lifecycle import Outcome, execute
from core.periodic import TICK_TASK, run_tick
from workers_taskiq.broker import broker
from workers_taskiq.deps import HttpDep, SessionDep, SettingsDep


@broker.task(task_name=TaskName.price_order.value)
async def price_order(
    job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep
) -> Outcome:
    return await execute(session, http, settings, TaskName.price_order, job_id)


@broker.task(task_name=TaskName.sales_report.value)
async def sales_report(
    job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep
) -> Outcome:
    return await execute(session, http, settings, TaskName.sales_report, job_id)


@broker.task(task_name=TaskName.fetch_rates.value)
async def fetch_rates(
    job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep
) -> Outcome:
    return await execute(session, http, settings, TaskName.fetch_rates, job_id)


@broker.task(task_name=TaskName.render_invoice.value)
async def render_invoice(
    job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep
) -> Outcome:
    return await execute(session, http, settings, TaskName.render_invoice, job_id)


@broker.task(task_name=TICK_TASK)
async def periodic_tick(
    task: str, tick_at: float, session: SessionDep, http: HttpDep, settings: SettingsDep
) -> Outcome:
    """Sent by the Taskiq scheduler (workers_taskiq/scheduler.py)."""
    return await run_tick(session, http, settings, Backend.taskiq, task, tick_at)

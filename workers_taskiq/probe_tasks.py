"""The two probe tasks (core/jobs/probes.py): what the queue path costs. Not for copying."""

from core.contract import TaskName
from core.lifecycle import Outcome, execute
from workers_taskiq.broker import broker
from workers_taskiq.deps import HttpDep, SessionDep, SettingsDep


@broker.task(task_name=TaskName.noop.value)
async def noop(job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep) -> Outcome:
    return await execute(session, http, settings, TaskName.noop, job_id)


@broker.task(task_name=TaskName.sleep.value)
async def sleep(job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep) -> Outcome:
    return await execute(session, http, settings, TaskName.sleep, job_id)

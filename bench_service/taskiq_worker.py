"""The benchmark's Taskiq tasks, on the service's broker (`taskiq worker
workers_taskiq.broker:broker bench_service.taskiq_worker`): a task for each of the four
jobs and the two probes, with the same dependencies as workers_taskiq/tasks.py, run from
the benchmark's registry (bench_service/jobs.py, where the TEST_HOLD_MS hook wraps them).
Not for copying."""

from bench_service.jobs import hooked_jobs
from core.lifecycle import Outcome, execute
from workers_taskiq.broker import broker
from workers_taskiq.deps import HttpDep, SessionDep, SettingsDep

REGISTRY = hooked_jobs()

for _name in REGISTRY:

    async def _task(
        job_id: str,
        session: SessionDep,
        http: HttpDep,
        settings: SettingsDep,
        name: str = _name,
    ) -> Outcome:
        return await execute(session, http, settings, name, job_id, REGISTRY)

    broker.task(task_name=_name)(_task)

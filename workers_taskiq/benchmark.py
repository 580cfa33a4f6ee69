"""What only the benchmark's Taskiq workers load (a task module on the command line): the
two probe tasks (core/jobs/probes.py: what the queue path costs) and the fault hooks its
settings ask for (core/test_hooks.py). Not for copying."""

from core import test_hooks
from core.jobs import probes
from core.jobs.probes import ProbeName
from core.lifecycle import Outcome, execute
from workers_taskiq.broker import broker, settings
from workers_taskiq.deps import HttpDep, SessionDep, SettingsDep

probes.register()
test_hooks.install(settings)


@broker.task(task_name=ProbeName.noop.value)
async def noop(job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep) -> Outcome:
    return await execute(session, http, settings, ProbeName.noop, job_id)


@broker.task(task_name=ProbeName.sleep.value)
async def sleep(job_id: str, session: SessionDep, http: HttpDep, settings: SettingsDep) -> Outcome:
    return await execute(session, http, settings, ProbeName.sleep, job_id)

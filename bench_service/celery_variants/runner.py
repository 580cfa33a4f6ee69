"""The loop in the task's own thread (`asyncio.Runner` per prefork child), measured
against workers_celery/bridge.py, where a loop thread serves every pool. Prefork only:
threads would share one Runner. Run: `celery -A bench_service.celery_variants.runner worker`.
"""

import asyncio
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown

from bench_service.celery_variants import Registry, register_tasks
from core.lifecycle import Outcome
from workers_celery.app import make_worker_app
from workers_celery.bridge import Resources, close_resources, execute_job, open_resources

app = make_worker_app("runner", __name__)
_runner: asyncio.Runner | None = None
_resources: Resources | None = None


@worker_process_init.connect
def open_runner(**_: Any) -> None:
    global _runner, _resources
    _runner = asyncio.Runner()
    _resources = _runner.run(open_resources())


@worker_process_shutdown.connect
def close_runner(**_: Any) -> None:
    if _runner is not None and _resources is not None:
        _runner.run(close_resources(_resources))
        _runner.close()


def run(task: str, job_id: str, registry: Registry) -> Outcome:
    assert _runner is not None and _resources is not None, "prefork children only"
    return _runner.run(execute_job(_resources, task, job_id, registry))


register_tasks(app, run)

"""One event loop per pool thread (`--pool=threads`), measured against
workers_celery/bridge.py (one loop per process in its own thread). Each thread needs
its own engine, so a process holds one pool per thread: DB_POOL_SIZE is split
between its threads (at least one connection each), unlike Taskiq's one pool per
process. Run: `celery -A bench_service.celery_variants.loop_per_thread worker --pool=threads`.
"""

import asyncio
import threading
from typing import Any

import httpx
from celery.signals import worker_init

from bench_service.celery_variants import Registry, register_tasks
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome
from core.settings import get_settings
from workers_celery.app import make_worker_app
from workers_celery.bridge import Resources, execute_job

app = make_worker_app("loop_per_thread", __name__)
_local = threading.local()
_threads = 1


@worker_init.connect
def count_threads(sender: Any, **_: Any) -> None:
    global _threads
    _threads = int(sender.concurrency)


async def _open_small() -> Resources:
    settings = get_settings()
    small = settings.model_copy(
        update={"db_pool_size": max(1, settings.db_pool_size // _threads), "db_max_overflow": 0}
    )
    engine = make_engine(small, role=WORKER_ROLE)
    http = httpx.AsyncClient(timeout=settings.http_timeout_s)
    return Resources(engine, make_sessionmaker(engine), http)


def run(task: str, job_id: str, registry: Registry) -> Outcome:
    if not hasattr(_local, "runner"):  # this thread's first task (never closed: threads live on)
        _local.runner = asyncio.Runner()
        _local.resources = _local.runner.run(_open_small())
    result: Outcome = _local.runner.run(execute_job(_local.resources, task, job_id, registry))
    return result


register_tasks(app, run)

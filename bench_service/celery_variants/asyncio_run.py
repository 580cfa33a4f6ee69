"""A new event loop per task (`asyncio.run`), measured, not recommended: nothing
pooled can outlive its loop, so every task opens a fresh engine (NullPool) and
HTTP client, and pays a new database connection.
Run: `celery -A bench_service.celery_variants.asyncio_run worker`.
"""

import asyncio

import httpx

from bench_service.celery_variants import Registry, register_tasks
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.settings import get_settings
from workers_celery.app import make_worker_app

app = make_worker_app("asyncio_run", __name__)


async def _run(task: str, job_id: str, registry: Registry) -> Outcome:
    settings = get_settings()
    engine = make_engine(settings, null_pool=True, role=WORKER_ROLE)
    try:
        async with (
            httpx.AsyncClient(timeout=settings.http_timeout_s) as http,
            make_sessionmaker(engine)() as session,
        ):
            return await execute(session, http, settings, task, job_id, registry)
    finally:
        await engine.dispose()


def run(task: str, job_id: str, registry: Registry) -> Outcome:
    return asyncio.run(_run(task, job_id, registry))


register_tasks(app, run)

"""A new event loop per task (`asyncio.run`), measured, not recommended: nothing
pooled can outlive its loop, so every task opens a fresh engine (NullPool) and
HTTP client, and pays a new database connection.
Run: `celery -A workers_celery.variants.asyncio_run worker`.
"""

import asyncio

import httpx

from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.settings import get_settings
from workers_celery.app import make_worker_app
from workers_celery.variants import register_tasks

app = make_worker_app("asyncio_run", __name__)


async def _run(task: str, job_id: str) -> Outcome:
    settings = get_settings()
    engine = make_engine(settings, null_pool=True, role=WORKER_ROLE)
    try:
        async with (
            httpx.AsyncClient(timeout=settings.http_timeout_s) as http,
            make_sessionmaker(engine)() as session,
        ):
            return await execute(session, http, settings, task, job_id)
    finally:
        await engine.dispose()


def run(task: str, job_id: str) -> Outcome:
    return asyncio.run(_run(task, job_id))


register_tasks(app, run)

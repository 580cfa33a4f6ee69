"""The classic Celery + async SQLAlchemy bridge, reproduced faithfully to be measured.

NOT the pattern to copy: a module-level `asyncio.get_event_loop()` (deprecated
when no loop is running since Python 3.12, an error on 3.14), an engine created
at import (in the parent, before prefork forks children that inherit it) and
`async_scoped_session(scopefunc=current_task)` with `remove()` after each task.
Run: `celery -A bench_service.celery_variants.naive worker`.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_scoped_session

from bench_service.celery_variants import Registry, register_tasks
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.settings import get_settings
from workers_celery.app import make_worker_app

app = make_worker_app("naive", __name__)
loop = asyncio.get_event_loop()
engine = make_engine(get_settings(), role=WORKER_ROLE)
session_factory = make_sessionmaker(engine)
http = httpx.AsyncClient(timeout=get_settings().http_timeout_s)


@asynccontextmanager
async def scoped_session() -> AsyncIterator[AsyncSession]:
    scoped_factory = async_scoped_session(session_factory, scopefunc=asyncio.current_task)
    try:
        async with scoped_factory() as s:
            yield s
    finally:
        await scoped_factory.remove()


async def _run(task: str, job_id: str, registry: Registry) -> Outcome:
    async with scoped_session() as session:
        return await execute(session, http, get_settings(), task, job_id, registry)


def run(task: str, job_id: str, registry: Registry) -> Outcome:
    return loop.run_until_complete(_run(task, job_id, registry))


register_tasks(app, run)

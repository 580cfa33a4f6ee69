"""Run async job code from sync Celery tasks: one event loop per worker process.

`worker_process_init` opens an `asyncio.Runner` in each prefork child; the engine
and HTTP client are created inside that child, on that loop (pooled connections
never cross a fork or a loop), and every task gets a fresh session.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.contract import TaskName
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.settings import get_settings
from workers_celery.app import hand_back_if_database_down


@dataclass
class Resources:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient


_runner: asyncio.Runner | None = None
_resources: Resources | None = None


async def _open() -> Resources:
    settings = get_settings()
    engine = make_engine(settings, role=WORKER_ROLE)
    http = httpx.AsyncClient(timeout=settings.http_timeout_s)
    return Resources(engine, make_sessionmaker(engine), http)


@worker_process_init.connect
def open_loop(**_: Any) -> None:
    global _runner, _resources
    _runner = asyncio.Runner()
    _resources = _runner.run(_open())


@worker_process_shutdown.connect
def close_loop(**_: Any) -> None:
    global _runner, _resources
    if _runner is not None and _resources is not None:
        _runner.run(_close(_resources))
        _runner.close()
    _runner = _resources = None


async def _close(resources: Resources) -> None:
    await resources.http.aclose()
    await resources.engine.dispose()


async def _execute(resources: Resources, task: TaskName, job_id: str) -> Outcome:
    async with resources.sessionmaker() as session:
        return await execute(session, resources.http, get_settings(), task, job_id)


def run_job(task: TaskName, job_id: str) -> Outcome:
    """What every task does: run the job on this process's loop, to its end (or hand
    the message back if the database is down)."""
    if _runner is None:  # --pool=solo: worker_process_init never fires
        open_loop()
    runner, resources = _runner, _resources
    assert runner is not None and resources is not None
    return hand_back_if_database_down(job_id, lambda: runner.run(_execute(resources, task, job_id)))

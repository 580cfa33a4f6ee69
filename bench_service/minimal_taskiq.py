"""A minimal Taskiq worker, measured only (variant taskiq-minimal): the service's broker
arguments (core/taskiq_broker.py) and lifecycle (core.lifecycle.execute) with none of the
service's additions: no hand-back broker or middleware, no dependency injection (module-level
resources), no cancel listener. The harness drains it beside the service's worker to price
those additions. Not for copying: a failed job's message is acked, never dead-lettered.

`taskiq worker bench_service.minimal_taskiq:broker --ack-type when_executed`"""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from taskiq import TaskiqEvents, TaskiqState
from taskiq_aio_pika import AioPikaBroker

from bench_service.jobs import bench_jobs
from core.contract import Backend
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.settings import get_settings
from core.taskiq_broker import taskiq_broker_kwargs
from core.topology import declare_dead_letters

settings = get_settings()
broker = AioPikaBroker(**taskiq_broker_kwargs(settings))
REGISTRY = bench_jobs()


class Resources:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def open_resources(_: TaskiqState) -> None:
    await declare_dead_letters(settings, settings.queue_for(Backend.taskiq))
    Resources.engine = make_engine(settings, role=WORKER_ROLE)
    Resources.sessions = make_sessionmaker(Resources.engine)
    Resources.http = httpx.AsyncClient(timeout=settings.http_timeout_s)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def close_resources(_: TaskiqState) -> None:
    await Resources.http.aclose()
    await Resources.engine.dispose()


def _task(name: str) -> Any:
    async def run(job_id: str) -> Outcome:
        async with Resources.sessions() as session:
            return await execute(session, Resources.http, settings, name, job_id, REGISTRY)

    return broker.task(task_name=name)(run)


TASKS = {name: _task(name) for name in REGISTRY}

"""The AioPikaBroker and the per-worker-process resources (engine, HTTP client).

Resources are created in WORKER_STARTUP, inside each worker process, and reached
from tasks through TaskiqDepends (see deps.py); they are disposed on shutdown.
"""

import httpx
from taskiq import TaskiqEvents, TaskiqState

from core.brokers import make_taskiq_broker
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.settings import get_settings
from workers_taskiq.middleware import RequeueWhenDatabaseDown

settings = get_settings()
broker = make_taskiq_broker(settings).with_middlewares(RequeueWhenDatabaseDown())


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def open_resources(state: TaskiqState) -> None:
    state.settings = settings
    state.engine = make_engine(settings, role=WORKER_ROLE)
    state.sessionmaker = make_sessionmaker(state.engine)
    state.http = httpx.AsyncClient(timeout=settings.http_timeout_s)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def close_resources(state: TaskiqState) -> None:
    await state.http.aclose()
    await state.engine.dispose()

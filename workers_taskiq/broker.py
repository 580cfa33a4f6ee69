"""The AioPikaBroker and the per-worker-process resources (engine, HTTP client).

Resources are created in WORKER_STARTUP, inside each worker process, and reached
from tasks through TaskiqDepends (see deps.py); they are disposed on shutdown.
"""

import asyncio
import multiprocessing
import os
import signal

import httpx
from taskiq import TaskiqEvents, TaskiqState
from taskiq.middlewares.prometheus_middleware import PrometheusMiddleware

from core.cancels import listen_for_cancels
from core.contract import Backend
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.settings import get_settings
from core.taskiq_broker import taskiq_broker_kwargs
from core.topology import declare_dead_letters
from workers_taskiq.handback import HandBackBroker, HandBackMiddleware
from workers_taskiq.rate_limit import RateLimitMiddleware

try:
    settings = get_settings()
except SystemExit:
    # Taskiq's manager restarts a worker process that exits, forever: settings that can
    # never be right stop the manager too (it shuts down on SIGTERM).
    if multiprocessing.parent_process() is not None:
        os.kill(os.getppid(), signal.SIGTERM)
    raise
broker = HandBackBroker(**taskiq_broker_kwargs(settings)).with_middlewares(HandBackMiddleware())
if settings.rate_limits:
    rates = {task.value: rate for task, rate in settings.rate_limits.items()}
    broker.add_middlewares(RateLimitMiddleware(rates, settings.worker_processes))
if settings.taskiq_metrics_port:  # GET /metrics; one server for all of a worker's processes
    broker.add_middlewares(
        PrometheusMiddleware(
            server_port=settings.taskiq_metrics_port, server_addr=settings.taskiq_metrics_addr
        )
    )


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def open_resources(state: TaskiqState) -> None:
    # Before the queue is declared: RabbitMQ drops dead letters with nowhere to go.
    await declare_dead_letters(settings, settings.queue_for(Backend.taskiq))
    state.settings = settings
    state.engine = make_engine(settings, role=WORKER_ROLE)
    state.sessionmaker = make_sessionmaker(state.engine)
    state.http = httpx.AsyncClient(timeout=settings.http_timeout_s)
    state.cancels = asyncio.create_task(listen_for_cancels(settings), name="cancels")


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def close_resources(state: TaskiqState) -> None:
    state.cancels.cancel()
    await state.http.aclose()
    await state.engine.dispose()

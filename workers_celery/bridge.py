"""Run async job code from sync Celery tasks.

`runner` (default, the one to copy): one event loop per worker child process,
opened by `worker_process_init` with `asyncio.Runner`; the engine and HTTP client
are created inside that child, on that loop, and a fresh session is used per task.
`asyncio_run`: a new loop per task, so nothing pooled can outlive it (NullPool).
`naive`: the classic pattern, kept only to be measured: see bridge_naive.py.
"""

import asyncio
from typing import Any, Protocol

import httpx
from celery.exceptions import Reject
from celery.signals import worker_process_init, worker_process_shutdown

from core.contract import TaskName
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import DatabaseUnavailable, execute
from core.settings import Settings, get_settings


class Bridge(Protocol):
    def run(self, task: TaskName, job_id: str, payload: dict[str, Any]) -> str: ...
    def close(self) -> None: ...


class RunnerBridge:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runner: asyncio.Runner | None = None

    def open(self) -> None:
        self.runner = asyncio.Runner()
        self.runner.run(self._open())

    async def _open(self) -> None:
        # Created on this process's own loop: pooled connections never cross loops.
        self.engine = make_engine(self.settings, role=WORKER_ROLE)
        self.sessionmaker = make_sessionmaker(self.engine)
        self.http = httpx.AsyncClient(timeout=self.settings.http_timeout_s)

    def run(self, task: TaskName, job_id: str, payload: dict[str, Any]) -> str:
        if self.runner is None:  # e.g. --pool=solo, where worker_process_init never fires
            self.open()
        assert self.runner is not None
        return self.runner.run(self._run(task, job_id, payload))

    async def _run(self, task: TaskName, job_id: str, payload: dict[str, Any]) -> str:
        async with self.sessionmaker() as session:
            return await execute(session, self.http, self.settings, task, job_id, payload)

    def close(self) -> None:
        if self.runner is not None:
            self.runner.run(self._close())
            self.runner.close()
            self.runner = None

    async def _close(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()


class AsyncioRunBridge:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def run(self, task: TaskName, job_id: str, payload: dict[str, Any]) -> str:
        return asyncio.run(self._run(task, job_id, payload))

    async def _run(self, task: TaskName, job_id: str, payload: dict[str, Any]) -> str:
        engine = make_engine(self.settings, null_pool=True, role=WORKER_ROLE)
        try:
            async with (
                httpx.AsyncClient(timeout=self.settings.http_timeout_s) as http,
                make_sessionmaker(engine)() as session,
            ):
                return await execute(session, http, self.settings, task, job_id, payload)
        finally:
            await engine.dispose()

    def close(self) -> None:
        pass


def make_bridge(settings: Settings) -> Bridge:
    if settings.celery_bridge == "naive":
        from workers_celery.bridge_naive import NaiveBridge  # engine at import, by design

        return NaiveBridge(settings)
    if settings.celery_bridge == "asyncio_run":
        return AsyncioRunBridge(settings)
    return RunnerBridge(settings)


bridge = make_bridge(get_settings())


def run_job(task: TaskName, job_id: str, payload: dict[str, Any]) -> str:
    """What every task does. If the outcome could not be recorded (database down
    through the retry budget) the message goes back to the queue instead of being acked."""
    try:
        return bridge.run(task, job_id, payload)
    except DatabaseUnavailable as exc:
        raise Reject(f"database unavailable: {exc}", requeue=True) from exc


@worker_process_init.connect
def open_bridge(**_: Any) -> None:
    if isinstance(bridge, RunnerBridge):
        bridge.open()


@worker_process_shutdown.connect
def close_bridge(**_: Any) -> None:
    bridge.close()

"""Run async job code from sync Celery tasks: one event loop per worker process, in
its own thread.

The loop, the engine (one connection pool) and the HTTP client are created in the
process that runs tasks, after any fork: by `worker_process_init` in a prefork
child, or by the first task under the threads or solo pool. A task hands its
coroutine to the loop and waits for the result, so with `--pool=threads` all of a
process's threads share one loop and one pool, the way Taskiq's async slots do.
Every task gets a fresh session.

Under `--pool=gevent` Celery patches threading before anything runs, so the loop's
"thread" is a greenlet on the hub's OS thread, and a task's wait for its coroutine is a
cooperative one: the loop, the tasks and Celery's consumer take turns on one thread, as
Taskiq's coroutines do (tests/workers_celery/test_loop_pools.py). A task must not call
asyncio itself there: the running loop is the thread's, seen by every greenlet. A loop on a
native thread instead fails: gevent's patched selector has no hub to wait on there
("LoopExit: This operation would block forever").
"""

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from celery.signals import worker_process_init, worker_process_shutdown, worker_shutdown
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.cancels import listen_for_cancels
from core.contract import Backend
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.jobs import JOBS, JobSpec
from core.lifecycle import Outcome, execute
from core.periodic import run_tick
from core.settings import get_settings
from workers_celery.handback import hand_back_if_database_down

_T = TypeVar("_T")


@dataclass
class Resources:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    cancels: asyncio.Task[None] | None = None  # stops a running job its client cancelled


class LoopThread:
    """An event loop running forever in a daemon thread, with this process's resources."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="asyncio", daemon=True)
        self.thread.start()
        self.resources = self.run(open_resources())

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run `coro` on the loop; block this (task) thread until it is done. If the wait
        itself ends (Celery's soft time limit raises here), the coroutine is cancelled too:
        no job goes on running on the loop with nobody waiting for it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        self.run(close_resources(self.resources))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


async def open_resources() -> Resources:
    """This process's engine (one pool) and HTTP client, on the running loop."""
    settings = get_settings()
    engine = make_engine(settings, role=WORKER_ROLE)
    http = httpx.AsyncClient(timeout=settings.http_timeout_s)
    cancels = asyncio.create_task(listen_for_cancels(settings), name="cancels")
    return Resources(engine, make_sessionmaker(engine), http, cancels)


async def close_resources(resources: Resources) -> None:
    if resources.cancels is not None:
        resources.cancels.cancel()
    await resources.http.aclose()
    await resources.engine.dispose()


_loop: LoopThread | None = None
_lock = threading.Lock()


@worker_process_init.connect
def open_loop(**_: Any) -> LoopThread:
    global _loop
    with _lock:
        if _loop is None:
            _loop = LoopThread()
        return _loop


@worker_process_shutdown.connect
@worker_shutdown.connect
def close_loop(**_: Any) -> None:
    global _loop
    with _lock:
        if _loop is not None:
            _loop.close()
            _loop = None


async def execute_job(
    resources: Resources, task: str, job_id: str, registry: Mapping[str, JobSpec] = JOBS
) -> Outcome:
    """One delivery of a job, in a session of its own."""
    async with resources.sessionmaker() as session:
        return await execute(session, resources.http, get_settings(), task, job_id, registry)


def run_job(task: str, job_id: str, registry: Mapping[str, JobSpec] = JOBS) -> Outcome:
    """What every task does: run the job on this process's loop, to its end (or hand
    the message back if the database is down)."""
    loop = _loop or open_loop()
    return hand_back_if_database_down(
        job_id, lambda: loop.run(execute_job(loop.resources, task, job_id, registry))
    )


def run_tick_job(task: str, tick_at: float) -> Outcome:
    """A scheduler's tick: its window's job, run on this process's loop (core/periodic.py)."""
    loop = _loop or open_loop()

    async def tick() -> Outcome:
        async with loop.resources.sessionmaker() as session:
            http, settings = loop.resources.http, get_settings()
            return await run_tick(session, http, settings, Backend.celery, task, tick_at)

    return hand_back_if_database_down(f"tick {task}", lambda: loop.run(tick()))

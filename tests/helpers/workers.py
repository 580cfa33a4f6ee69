"""Real worker processes for tests, started through the entry points `make worker-*` uses."""

import asyncio
import dataclasses
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from subprocess import Popen
from typing import IO
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.run import commands
from bench.spec.variants import BY_NAME, CELERY_APP, Pool
from core.contract import FINISHED, Backend, JobStatus
from core.models import Job
from core.settings import Settings
from tests.helpers import processes
from tests.helpers.amqp import consumers

ROOT = processes.ROOT
# The workers as the README deploys them (`make worker-celery`, `make worker-celery-threads`,
# `make worker-taskiq`): the backend each serves and its command after `python`.
DEPLOYED: dict[str, tuple[Backend, list[str]]] = {
    "celery": (Backend.celery, ["-m", "workers_celery"]),
    "celery-threads": (Backend.celery, ["-m", "workers_celery", "--pool=threads"]),
    "celery-gevent": (Backend.celery, ["-m", "workers_celery", "--pool=gevent"]),
    "taskiq": (Backend.taskiq, ["-m", "workers_taskiq"]),
}


async def eventually(
    condition: Callable[[], Awaitable[bool]],
    limit_s: float,
    what: str,
    proc: Popen[bytes] | None = None,
) -> None:
    """Await `condition` until true; fail with `what` on timeout or if `proc` died."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if await condition():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited ({proc.returncode}) while waiting for {what}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {limit_s}s waiting for {what}")


@asynccontextmanager
async def worker(
    settings: Settings,
    backend: str,
    n: int = 2,
    env: dict[str, str] | None = None,
    pool: str | None = None,
    log: IO[bytes] | None = None,
    app: str | None = None,
    events: bool = False,
) -> AsyncIterator[Popen[bytes]]:
    """Start a worker (Celery: `app`, `pool` with `n` children or threads) as the benchmark
    runs it, logging at INFO, and wait until it consumes from its queue. It runs the
    service's own tasks (workers_celery/tasks.py, workers_taskiq/tasks.py), or the
    benchmark's where `env` asks for a fault hook (TEST_*: bench_service/)."""
    hooked = any(key.startswith("TEST_") for key in env or {})
    if backend == "celery":
        base = BY_NAME[
            {Pool.threads: "celery-threads", Pool.gevent: "celery-gevent"}.get(
                Pool(pool or Pool.prefork), "celery"
            )
        ]
        chosen = app or (CELERY_APP if hooked else "workers_celery")
        cmd = commands.worker(dataclasses.replace(base, app=chosen), n, n)
    else:
        cmd = commands.worker(BY_NAME["taskiq"], n, settings.worker_slots)
        if not hooked:
            cmd[cmd.index("--tasks") + 1] = "workers_taskiq.tasks"
    cmd = [c.replace("WARNING", "INFO") for c in cmd]
    env = {"CELERY_TASK_EVENTS": str(events).lower(), **(env or {})}  # as the benchmark: off
    if backend == "celery":  # a node name of its own: it owns a remote-control queue
        cmd = [c for c in cmd if not c.startswith("--hostname=")]
        cmd.append(f"--hostname=test-{uuid4().hex[:8]}@%h")
    queue = settings.queue_for(Backend(backend))
    with processes.running(cmd, ROOT, env, log) as proc:

        async def consuming() -> bool:
            return await consumers(settings, queue) >= 1

        await eventually(consuming, 90, f"a {backend} consumer on {queue}", proc)
        yield proc


@asynccontextmanager
async def deployed(
    settings: Settings, variant: str, env: dict[str, str], log: IO[bytes]
) -> AsyncIterator[Popen[bytes]]:
    """A worker started with the README's command (task events on, as deployed), once it
    consumes from its queue."""
    backend, args = DEPLOYED[variant]
    cmd = [sys.executable, *args]
    queue = settings.queue_for(backend)
    with processes.running(cmd, ROOT, {"CELERY_TASK_EVENTS": "true", **env}, log) as proc:

        async def consuming() -> bool:
            return await consumers(settings, queue) >= 1

        await eventually(consuming, 90, f"a consumer on {queue}", proc)
        yield proc


async def wait_finished(
    sessionmaker: async_sessionmaker[AsyncSession], ids: Sequence[UUID], limit_s: float = 120
) -> list[Job]:
    """Wait until every job is done or failed; return the rows in the given order."""

    async def finished() -> bool:
        async with sessionmaker() as s:
            n = await s.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.id.in_(ids), Job.status.in_(FINISHED))
            )
        return n == len(ids)

    await eventually(finished, limit_s, f"{len(ids)} job(s) to finish")
    async with sessionmaker() as s:
        rows = {j.id: j for j in (await s.scalars(select(Job).where(Job.id.in_(ids)))).all()}
    return [rows[i] for i in ids]


async def wait_running(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: UUID, proc: Popen[bytes] | None
) -> None:
    """Wait until a worker has started the job (its row says running)."""

    async def running() -> bool:
        async with sessionmaker() as s:
            status = await s.scalar(select(Job.status).where(Job.id == job_id))
            return status == JobStatus.running

    await eventually(running, 60, "the job to start", proc)

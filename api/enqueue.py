"""Accept jobs, outbox-style, in shared batches.

Every request hands its jobs to the process's Enqueuer and awaits them. The Enqueuer
takes whatever requests are waiting and, per batch: commits their rows as
`publishing`, publishes their messages, then marks them `queued` (confirmed by
RabbitMQ) or `failed` (those requests answer 503). One INSERT, one publish round and
one UPDATE serve every request in the batch, so the database's commits and the
broker's confirms are shared as load rises. A row never claims `queued` without a
message behind it; one left `publishing` by an API process that died in between is
published again by the recovery (api/recovery.py).

No HTTP here: what goes wrong is a domain error below, which api/errors.py answers.
"""

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, Table, Uuid, any_, bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import func

from api.publishers import Outgoing, Publisher, publish
from api.schemas import ChainStep, JobBase
from core.contract import Backend, JobStatus
from core.models import Job
from core.settings import Settings

log = logging.getLogger(__name__)
MAX_BATCH_JOBS = 1000  # a batch closes at this many jobs (a bigger request goes alone)
BATCHES_IN_FLIGHT = 4  # batches overlap their commits and publisher confirms
# Built once; `= ANY(:ids)` keeps one prepared statement whatever the batch size.
jobs_table = cast(Table, Job.__table__)
PUBLISHING = jobs_table.c.status == JobStatus.publishing.value  # unless a worker started it
INSERT = insert(jobs_table)
MARK_QUEUED = (
    update(jobs_table)
    .where(jobs_table.c.id == any_(bindparam("ids", type_=ARRAY(Uuid()))), PUBLISHING)
    .values(status=JobStatus.queued.value)
)
MARK_FAILED = (
    update(jobs_table)
    .where(jobs_table.c.id == bindparam("uid"), PUBLISHING)
    .values(
        status=JobStatus.failed.value, error=bindparam("why"), finished_at=func.clock_timestamp()
    )
)


class EnqueueError(Exception):
    """Nothing, or not all, of a request was queued; `detail` says what."""

    detail: Any


class BackendNotServed(EnqueueError):
    def __init__(self, backends: list[Backend], served: list[Backend]) -> None:
        self.detail = {
            "error": "this API does not run these backends (BACKENDS); nothing was written",
            "backends": backends,
            "served": served,
        }


class BrokerBlocked(EnqueueError):
    """RabbitMQ is blocking publishers (a memory or disk alarm): nothing written."""

    def __init__(self, backends: list[Backend]) -> None:
        self.detail = {
            "error": "RabbitMQ is blocking publishers (a memory or disk alarm); "
            "nothing was written or published, retry later",
            "backends": backends,
        }


class DatabaseRefused(EnqueueError):
    def __init__(self, exc: Exception) -> None:
        self.detail = f"database unavailable; nothing was accepted ({type(exc).__name__})"


class Stopping(EnqueueError):
    """The API stopped while the batch was in flight: its rows may say publishing (the
    recovery publishes them) or failed."""

    detail = "the API is stopping; the jobs may not be queued, retry"


class NotQueued(EnqueueError):
    """Some jobs' messages did not go out: their rows say failed."""

    def __init__(self, failed: dict[UUID, str], ids: list[UUID]) -> None:
        self.detail = {
            "error": "message broker unavailable; the jobs in 'failed' were not queued",
            "failed": {str(k): v for k, v in failed.items()},
            "queued": [str(i) for i in ids if i not in failed],
        }


@dataclass
class Request:
    jobs: Sequence[JobBase]
    ids: list[UUID] = field(default_factory=list)
    steps: list[list[UUID]] = field(default_factory=list)  # each job's chain steps after it
    done: asyncio.Future[dict[UUID, str]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def __post_init__(self) -> None:
        self.ids = [uuid4() for _ in self.jobs]
        self.steps = [[uuid4() for _ in job.then] for job in self.jobs]


class Enqueuer:
    def __init__(
        self,
        engine: AsyncEngine,
        publishers: dict[Backend, Publisher],
        settings: Settings,
    ) -> None:
        self.engine, self.publishers, self.settings = engine, publishers, settings
        self._waiting: asyncio.Queue[Request] = asyncio.Queue()
        self._slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        self._batches: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="enqueuer")

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with suppress(asyncio.CancelledError):
                await self._runner
        if self._batches:
            await asyncio.wait(self._batches)

    async def accept(self, jobs: Sequence[JobBase]) -> list[UUID]:
        """Queue the jobs; their ids once all are queued."""
        return (await self.submit(jobs)).ids

    async def submit(self, jobs: Sequence[JobBase]) -> Request:
        """Queue the jobs (and write their chain steps, waiting). Raises an EnqueueError: at
        once, with nothing written, for a backend not served or blocked by RabbitMQ; after
        the batch, NotQueued naming the jobs whose publish failed."""
        wanted = {j.backend for j in jobs}
        missing = sorted(wanted - self.publishers.keys())
        if missing:
            raise BackendNotServed(missing, sorted(self.publishers))
        blocked = sorted(b for b in wanted if self.publishers[b].blocked())
        if blocked:
            raise BrokerBlocked(blocked)
        request = Request(jobs)
        self._waiting.put_nowait(request)
        failed = await request.done
        if failed:
            raise NotQueued(failed, request.ids)
        return request

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            batch = [await self._waiting.get()]
            size = len(batch[0].jobs)
            while size < MAX_BATCH_JOBS and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
                size += len(batch[-1].jobs)
            task = asyncio.create_task(self._settle(batch))
            self._batches.add(task)
            task.add_done_callback(self._batch_done)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._batches.discard(task)
        self._slots.release()

    async def _settle(self, batch: list[Request]) -> None:
        """Every request of the batch answers, whatever failed: none is left waiting."""
        try:
            failed = await self._write_and_publish(batch)
        except BaseException as exc:  # a cancel too: no request may wait for ever
            answer = exc if isinstance(exc, Exception) else Stopping()
            for request in batch:
                request.done.set_exception(answer)
            if answer is not exc:
                raise
            return
        for request in batch:
            request.done.set_result({i: failed[i] for i in request.ids if i in failed})

    async def _write_and_publish(self, batch: list[Request]) -> dict[UUID, str]:
        pairs = [(i, job) for r in batch for i, job in zip(r.ids, r.jobs, strict=True)]
        steps = [
            step_row(head, job, n, step_id, step)
            for r in batch
            for head, job, step_ids in zip(r.ids, r.jobs, r.steps, strict=True)
            for n, (step_id, step) in enumerate(zip(step_ids, job.then, strict=True), start=1)
        ]
        conn = self.engine.connect()  # one pooled connection for the batch
        try:
            await conn.start()
            # Committed before publishing, so a fast worker always finds its row.
            async with conn.begin():
                await conn.execute(INSERT, [row(i, job) for i, job in pairs] + steps)
        except Exception as exc:  # nothing committed: nothing was accepted
            with suppress(Exception):
                await conn.close()
            log.warning("enqueue: the database refused the batch: %s", exc)
            raise DatabaseRefused(exc) from exc
        try:
            jobs = [(job.backend, outgoing(i, job)) for i, job in pairs]
            failed = await publish(self.publishers, jobs)
            if failed:  # their rows say failed before anyone is told so
                async with conn.begin():
                    for job_id, why in failed.items():
                        await conn.execute(MARK_FAILED, {"uid": job_id, "why": why})
            try:
                async with conn.begin():
                    # No wait for the fsync: a `queued` lost in a crash leaves the row
                    # `publishing`, which the recovery publishes again, changing nothing.
                    await conn.execute(text("SET LOCAL synchronous_commit = off"))
                    published = [i for i, _ in pairs if i not in failed]
                    await conn.execute(MARK_QUEUED, {"ids": published})
            except Exception as exc:  # the messages are out: accepted all the same
                log.warning("enqueue: rows left publishing after their publish: %s", exc)
        finally:
            with suppress(Exception):  # the batch is settled; a dead connection is the pool's
                await conn.close()
        return failed


def outgoing(job_id: UUID, job: JobBase) -> Outgoing:
    return Outgoing(job_id, job.task, job.run_at, job.priority)


def row(job_id: UUID, job: JobBase) -> dict[str, object]:
    return {
        "id": job_id,
        "run_at": job.run_at,
        "priority": job.priority.value,
        "backend": job.backend.value,
        "task": job.task,
        "status": JobStatus.publishing.value,
        "attempts": 0,
        "payload": job.payload.model_dump(mode="json"),
        "run_id": job.run_id,
        "publishes": 1,
        "chain_id": job_id if job.then else None,
        "chain_step": 0 if job.then else None,
    }


def step_row(head: UUID, job: JobBase, n: int, step_id: UUID, step: ChainStep) -> dict[str, object]:
    """Chain step n of the job `head`: waiting until step n-1 is done (core/chains.py)."""
    return {
        **row(step_id, job),
        "task": step.task.value,
        "status": JobStatus.waiting.value,
        "payload": step.payload,
        "run_at": None,
        "publishes": 0,  # until it is released
        "chain_id": head,
        "chain_step": n,
    }

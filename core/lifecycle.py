"""The job lifecycle both workers follow: mark running, run, mark done or failed.

A worker task is `await execute(...)` and nothing more. The message names the job;
the row holds its payload, which `mark_running` returns. The job's effects and its
`done` commit in one transaction, and the final write only counts if the job is still
running, so a delivery that finds the job finished (a redelivery, or a second delivery
racing the first) changes nothing and is counted in `duplicate_deliveries`. Attempts
are counted in the row, so retries and redeliveries share one bounded budget.

The statements are built once (SQLAlchemy Core on the jobs table): every job runs the
same three, and the ORM's bulk update machinery would cost more than the job itself.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID

import httpx
from pydantic import ValidationError
from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from core.cancels import RUNNING
from core.chains import Place, follow
from core.contract import UNFINISHED, JobStatus
from core.errors import is_transient
from core.jobs import JOBS, JobContext, JobSpec
from core.models import Job
from core.settings import Settings

log = logging.getLogger(__name__)
_T = TypeVar("_T")
jobs = cast(Table, Job.__table__)

MARK_RUNNING = (
    update(jobs)
    .where(jobs.c.id == bindparam("uid"), jobs.c.status.in_([s.value for s in UNFINISHED]))
    .values(
        status=JobStatus.running.value,
        attempts=jobs.c.attempts + 1,
        first_started_at=func.coalesce(jobs.c.first_started_at, func.clock_timestamp()),
        started_at=func.clock_timestamp(),
    )
    .returning(
        jobs.c.attempts, jobs.c.task, jobs.c.payload, jobs.c.cancel_requested_at.is_not(None)
    )
)
FINISH = (
    update(jobs)
    .where(jobs.c.id == bindparam("uid"), jobs.c.status == JobStatus.running.value)
    .values(
        status=bindparam("final"),
        result=bindparam("outcome", type_=JSONB(none_as_null=True)),
        error=bindparam("why"),
        finished_at=func.clock_timestamp(),
    )
    .returning(jobs.c.chain_id, jobs.c.chain_step)
)
COUNT_DUPLICATE = (
    update(jobs)  # a cancelled job's message is expected: not a duplicate
    .where(jobs.c.id == bindparam("uid"), jobs.c.status != JobStatus.cancelled.value)
    .values(duplicate_deliveries=jobs.c.duplicate_deliveries + 1)
)


class Outcome(StrEnum):
    """How one delivery ended (the job's status lives in its row)."""

    done = "done"
    failed = "failed"
    duplicate = "duplicate"  # the job was already finished: nothing changed


class Started(NamedTuple):
    """What mark_running read back from the row for this delivery."""

    attempts: int
    task: str
    payload: dict[str, Any]
    cancel_requested: bool  # cancelled while an earlier delivery ran it


async def mark_running(session: AsyncSession, job_id: UUID) -> Started | None:
    """attempts+1 and this start's time; None if the job is finished or unknown."""
    row = (await session.execute(MARK_RUNNING, {"uid": job_id})).first()
    await session.commit()
    return Started(*row) if row else None


async def finish(
    session: AsyncSession,
    job_id: UUID,
    status: JobStatus,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """The final write, in the caller's transaction, with what follows it in a chain. False
    if the job is no longer running: another delivery finished it first."""
    params = {"uid": job_id, "final": status.value, "outcome": result, "why": error}
    row = (await session.execute(FINISH, params)).first()
    if row is None:
        return False
    await follow(session, job_id, Place(*row), status)
    return True


async def count_duplicate(session: AsyncSession, job_id: UUID) -> None:
    await session.execute(COUNT_DUPLICATE, {"uid": job_id})
    await session.commit()


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def overrun(deadline: float) -> str:
    return f"deadline exceeded: the attempt was cut at {deadline:g} s (JOB_DEADLINES_S)"


CANCELLED = "cancelled while running (POST /jobs/{id}/cancel)"


def refusal(started: Started, task: str, settings: Settings) -> str | None:
    """Why this delivery must not run the job, if it must not."""
    if started.cancel_requested:
        return CANCELLED
    if started.task != task:
        return f"message for task {task} but the job is a {started.task}"
    if started.attempts > settings.retry_max_attempts:
        return f"gave up after {started.attempts - 1} attempts"
    return None


class DatabaseUnavailable(Exception):
    """The jobs table stayed unreachable through the retry budget. The worker must
    hand the message back to the broker (requeue), never ack it as handled."""


async def retrying_write(
    session: AsyncSession, settings: Settings, op: Callable[[], Awaitable[_T]]
) -> _T:
    """A lifecycle write that survives a dropped connection: roll back, back off, retry.
    (Workers' pools skip the pre-ping: a dead connection is found here, and replaced.)"""
    for n in range(1, settings.db_retry_attempts + 1):
        try:
            async with asyncio.timeout(settings.db_write_timeout_s):
                return await op()
        except Exception as exc:
            if not is_transient(exc):
                raise
            with suppress(Exception):  # the connection may be gone; the pool replaces it
                await session.rollback()
            if n == settings.db_retry_attempts:
                raise DatabaseUnavailable(describe(exc)) from exc
            log.warning("database write failed (%s); retry %d", describe(exc), n)
            await asyncio.sleep(settings.backoff(n))
    raise AssertionError("unreachable")


async def execute(
    session: AsyncSession,
    http: httpx.AsyncClient,
    settings: Settings,
    task: str,
    job_id: str,
    registry: Mapping[str, JobSpec] = JOBS,
) -> Outcome:
    """Run one delivery of a job to its end; `registry` finds the job's code by task name.

    Raises DatabaseUnavailable if the outcome could not be recorded."""
    spec, uid = registry[task], UUID(job_id)
    while True:
        started = await retrying_write(session, settings, lambda: mark_running(session, uid))
        if started is None:
            return await duplicate(session, settings, uid)
        refused = refusal(started, task, settings)
        if refused is not None:
            return await fail(session, settings, uid, refused)
        deadline = settings.deadline_for(task)
        # The attempt's deadline, on its awaits: a job blocked on a lock, a database that
        # stops answering or a service that never replies is cut here and its slot freed.
        cut = asyncio.timeout(deadline)
        try:
            payload = spec.payload.model_validate(started.payload)
            with RUNNING.watch(uid, cut):  # a cancel moves the deadline to now
                async with cut:
                    context = JobContext(uid, session, http, settings.stub_url)
                    result = await spec.run(context, payload)
            if not await finish(session, uid, JobStatus.done, result=result):
                await session.rollback()
                return await duplicate(session, settings, uid)
            await session.commit()
            return Outcome.done
        except ValidationError as exc:  # the row was written by the API: a bug if it fails
            await session.rollback()
            return await fail(session, settings, uid, f"invalid payload: {exc}")
        except Exception as exc:
            with suppress(Exception):
                await session.rollback()
            final = verdict(exc, cut, deadline, started, settings, uid)
            if final is not None:
                return await fail(session, settings, uid, final)
            await asyncio.sleep(settings.backoff(started.attempts))


def verdict(
    exc: Exception,
    cut: asyncio.Timeout,
    deadline: float,
    started: Started,
    settings: Settings,
    uid: UUID,
) -> str | None:
    """The error an attempt that raised ends the job with, or None: retry it."""
    if cut.expired() and RUNNING.was_cancelled(uid):
        return CANCELLED
    if not is_transient(exc):
        log.exception("job %s failed permanently", uid)
        return describe(exc)
    why = overrun(deadline) if cut.expired() else describe(exc)
    if started.attempts >= settings.retry_max_attempts:
        return f"after {started.attempts} attempts: {why}"
    log.warning("job %s attempt %d: %s; retrying", uid, started.attempts, why)
    return None


async def duplicate(session: AsyncSession, settings: Settings, uid: UUID) -> Outcome:
    await retrying_write(session, settings, lambda: count_duplicate(session, uid))
    return Outcome.duplicate


async def fail(session: AsyncSession, settings: Settings, uid: UUID, error: str) -> Outcome:
    """End the job failed (or cancelled) with `error`, unless another delivery ended it."""
    status = JobStatus.cancelled if error == CANCELLED else JobStatus.failed

    async def write() -> bool:
        failed = await finish(session, uid, status, error=error[:2000])
        await session.commit()
        return failed

    if await retrying_write(session, settings, write):
        return Outcome.failed
    return await duplicate(session, settings, uid)

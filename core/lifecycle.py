"""The job lifecycle both workers follow: mark running, run, mark done or failed.

A worker task is `await execute(...)` and nothing more. Effects and "done" are
committed in one transaction, so a redelivered message finds the job done and
does nothing; attempts are counted in the row, so retries and redeliveries share
one bounded budget.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from core.contract import TaskName
from core.errors import is_transient
from core.jobs import JOBS, JobContext
from core.models import Job
from core.settings import Settings

log = logging.getLogger(__name__)
_T = TypeVar("_T")


async def mark_running(session: AsyncSession, job_id: UUID) -> int | None:
    """attempts+1 and started_at; None if the job is finished or unknown."""
    attempts = await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")))
        .values(status="running", attempts=Job.attempts + 1, started_at=func.clock_timestamp())
        .returning(Job.attempts)
    )
    await session.commit()
    return attempts


async def mark_done(session: AsyncSession, job_id: UUID, result: dict[str, Any]) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status="done", result=result, error=None, finished_at=func.clock_timestamp())
    )
    await session.commit()


async def mark_failed(session: AsyncSession, job_id: UUID, error: str) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status="failed", error=error[:2000], finished_at=func.clock_timestamp())
    )
    await session.commit()


def backoff(settings: Settings, attempt: int) -> float:
    return float(min(settings.retry_backoff_s * 2 ** (attempt - 1), settings.retry_backoff_max_s))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class DatabaseUnavailable(Exception):
    """The jobs table stayed unreachable through the retry budget. The worker must
    hand the message back to the broker (requeue), never ack it as handled."""


async def _write(session: AsyncSession, settings: Settings, op: Callable[[], Awaitable[_T]]) -> _T:
    """A lifecycle write that survives a dropped connection: roll back, back off, retry."""
    for n in range(1, settings.db_retry_attempts + 1):
        try:
            return await op()
        except Exception as exc:
            if not is_transient(exc):
                raise
            with suppress(Exception):  # the connection may be gone; the pool replaces it
                await session.rollback()
            if n == settings.db_retry_attempts:
                raise DatabaseUnavailable(describe(exc)) from exc
            log.warning("database write failed (%s); retry %d", describe(exc), n)
            await asyncio.sleep(backoff(settings, n))
    raise AssertionError("unreachable")


async def execute(
    session: AsyncSession,
    http: httpx.AsyncClient,
    settings: Settings,
    task: TaskName,
    job_id: str,
    payload: dict[str, Any],
) -> str:
    """Run one delivery of a job to its end. Returns the final status.

    Raises DatabaseUnavailable if the outcome could not be recorded."""
    spec, uid = JOBS[task], UUID(job_id)

    async def fail(error: str) -> str:
        await _write(session, settings, lambda: mark_failed(session, uid, error))
        return "failed"

    while True:
        attempts = await _write(session, settings, lambda: mark_running(session, uid))
        if attempts is None:
            log.info("job %s already finished or unknown; skipping", job_id)
            return "skipped"
        if attempts > settings.retry_max_attempts:
            return await fail(f"gave up after {attempts - 1} attempts")
        try:
            model = spec.payload.model_validate(payload)
            ctx = JobContext(uid, session, http, settings.stub_url)
            result = await spec.run(ctx, model)
            await mark_done(session, uid, result)
            return "done"
        except ValidationError as exc:  # slipped past the API: retrying cannot help
            await session.rollback()
            return await fail(f"invalid payload: {exc}")
        except Exception as exc:
            with suppress(Exception):
                await session.rollback()
            if not is_transient(exc):
                log.exception("job %s failed permanently", job_id)
                return await fail(describe(exc))
            if attempts >= settings.retry_max_attempts:
                return await fail(f"after {attempts} attempts: {describe(exc)}")
            log.warning("job %s attempt %d: %s; retrying", job_id, attempts, describe(exc))
            await asyncio.sleep(backoff(settings, attempts))

"""Periodic jobs: a scheduler's tick becomes one job, however many schedulers tick.

Celery beat and the Taskiq scheduler both send a `periodic_tick` message every
PERIODIC_S[task] seconds, stamped with the time it was sent (`tick_at`). The worker turns
it into a jobs row keyed by the schedule window the tick fell in, floor(tick_at / every),
then runs that job as any other. The key is unique: a second scheduler started by mistake,
or a restarted one, ticks into a window that already has its job, and its delivery runs
nothing (counted in `duplicate_deliveries`). The claim is committed with the job's start,
in one transaction, so a second tick never sees a claimed job not yet running; a delivery
that dies after it leaves the row `running`, which the recovery ends by its deadline.
Ticks of one scheduler come about its interval apart, so each has a window of its own.
"""

import logging
from datetime import UTC, datetime
from typing import cast
from uuid import UUID, uuid4

import httpx
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.contract import Backend, JobStatus, TaskName
from core.jobs import JOBS
from core.lifecycle import (
    DatabaseUnavailable,
    Outcome,
    count_duplicate,
    execute,
    retrying_write,
)
from core.models import Job
from core.settings import Settings

log = logging.getLogger(__name__)
TICK_TASK = "periodic_tick"  # the message both schedulers send
jobs = cast(Table, Job.__table__)


def tick_key(backend: Backend, task: TaskName, tick_at: float, every_s: int) -> str:
    """The schedule window a tick fell in, named by its start (epoch seconds)."""
    return f"{backend.value}:{task.value}@{int(tick_at // every_s) * every_s}"


async def claim_tick(
    session: AsyncSession, backend: Backend, task: TaskName, tick_at: float, every_s: int
) -> tuple[UUID, bool]:
    """The job of the tick's window, and whether this tick wrote it. A new row is left
    uncommitted: the lifecycle's first write commits it with its start. (A second tick's
    INSERT waits for that commit, then finds the row.)"""
    key = tick_key(backend, task, tick_at, every_s)
    row = {
        "id": uuid4(),
        "backend": backend.value,
        "task": task.value,
        "status": JobStatus.queued.value,
        "attempts": 0,
        "payload": JOBS[task].payload().model_dump(mode="json"),
        "run_at": datetime.fromtimestamp(tick_at, UTC),
        "tick_key": key,
    }
    stmt = insert(jobs).values(row).on_conflict_do_nothing(index_elements=["tick_key"])
    job_id = await session.scalar(stmt.returning(jobs.c.id))
    if job_id is not None:
        return cast(UUID, job_id), True
    job_id = await session.scalar(select(jobs.c.id).where(jobs.c.tick_key == key))
    await session.commit()
    return cast(UUID, job_id), False


async def run_tick(
    session: AsyncSession,
    http: httpx.AsyncClient,
    settings: Settings,
    backend: Backend,
    task: str,
    tick_at: float,
) -> Outcome:
    """One tick's delivery: claim its window's job, then run it (or find it done)."""
    names = {t.value: t for t in settings.periodic_s}
    if task not in names:
        log.warning("tick for %r, which PERIODIC_S does not schedule: ignored", task)
        return Outcome.failed

    async def claim() -> tuple[UUID, bool]:
        name = names[task]
        return await claim_tick(session, backend, name, tick_at, settings.periodic_s[name])

    job_id, fresh = await retrying_write(session, settings, claim)
    if not fresh:  # another tick's delivery runs it, or ran it
        await retrying_write(session, settings, lambda: count_duplicate(session, job_id))
        return Outcome.duplicate
    outcome = await execute(session, http, settings, task, str(job_id))
    if outcome is Outcome.duplicate and await session.get(Job, job_id) is None:
        # The database dropped the claim with its first write: hand the tick back.
        raise DatabaseUnavailable("the tick's claim was rolled back")
    return outcome

"""Periodic jobs: a scheduler's tick becomes one job, however many schedulers tick.

Celery beat and the Taskiq scheduler both send a `periodic_tick` message every
PERIODIC_S[task] seconds, stamped with the time it was sent (`tick_at`). The worker turns
it into a jobs row keyed by the schedule window the tick fell in, floor(tick_at / every),
then runs that job as any other. The key is unique: a second scheduler started by mistake,
or a restarted one, ticks into a window that already has its job, and its delivery finds
that job finished (the lifecycle counts it in `duplicate_deliveries`) or, if an earlier
delivery died mid-way, runs it to its end. Ticks of one scheduler are never closer than
its interval, so each of its ticks has a window of its own.
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
from core.lifecycle import Outcome, execute, retrying_write
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
) -> UUID:
    """The job of the tick's window: written now, or the one an earlier tick wrote."""
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
    if job_id is None:
        job_id = await session.scalar(select(jobs.c.id).where(jobs.c.tick_key == key))
    await session.commit()
    return cast(UUID, job_id)


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

    async def claim() -> UUID:
        name = names[task]
        return await claim_tick(session, backend, name, tick_at, settings.periodic_s[name])

    job_id = await retrying_write(session, settings, claim)
    return await execute(session, http, settings, task, str(job_id))

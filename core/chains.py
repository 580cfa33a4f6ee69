"""Chains: jobs that run one after another, each only if the one before it is done.

The API writes every step's row at once: the first is published, the rest wait (status
`waiting`, the chain's id and their step number). When a step's job is done, the same
transaction that says so releases the next step (`waiting` -> `publishing`); Postgres
notifies the API, which publishes it as it publishes any job (api/released.py; its
outbox sweep catches one it missed). When a step fails or is cancelled, the same
transaction cancels every step after it, each row saying where the chain stopped.
No step runs after a failed one, and the rows show the whole chain at any time.
"""

from typing import NamedTuple, cast
from uuid import UUID

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from core.contract import JobStatus
from core.models import Job

jobs = cast(Table, Job.__table__)
WAITING = jobs.c.status == JobStatus.waiting.value
RELEASE_NEXT = (
    update(jobs)
    .where(jobs.c.chain_id == bindparam("chain"), jobs.c.chain_step == bindparam("next"), WAITING)
    .values(status=JobStatus.publishing.value, enqueued_at=func.clock_timestamp())
)
STOP_AFTER = (
    update(jobs)
    .where(jobs.c.chain_id == bindparam("chain"), jobs.c.chain_step > bindparam("step"), WAITING)
    .values(
        status=JobStatus.cancelled.value, error=bindparam("why"), finished_at=func.clock_timestamp()
    )
)


# For the API's recovery: steps left waiting after a step that ended without the lifecycle
# (marked failed by the recovery itself: dead-lettered, overdue; or its publish failed).
STOP_BROKEN = text(
    """
    UPDATE jobs s SET status = 'cancelled', finished_at = clock_timestamp(),
        error = 'chain stopped: step ' || p.chain_step || ' (job ' || p.id || ') ' || p.status
    FROM jobs p
    WHERE s.status = 'waiting' AND p.chain_id = s.chain_id AND p.chain_step < s.chain_step
        AND p.status IN ('failed', 'cancelled')
    """
)


class Place(NamedTuple):
    """Where a job sits in its chain (chain None: not in one)."""

    chain: UUID | None
    step: int | None


async def follow(session: AsyncSession, job_id: UUID, place: Place, status: JobStatus) -> None:
    """After the job ended `status`, in its transaction: release the next step, or stop."""
    if place.chain is None or place.step is None:
        return
    if status is JobStatus.done:
        await session.execute(RELEASE_NEXT, {"chain": place.chain, "next": place.step + 1})
    else:
        why = f"chain stopped: step {place.step} (job {job_id}) {status.value}"
        await session.execute(STOP_AFTER, {"chain": place.chain, "step": place.step, "why": why})

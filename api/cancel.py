"""Cancel a job. One that has not started is marked cancelled and never runs (its message,
still in RabbitMQ, finds the row finished), nor do the chain steps after it. One that runs
is flagged, and its worker is notified, cuts the attempt through its deadline and marks it
cancelled (core/cancels.py).

No HTTP here: api/routes/jobs.py answers each outcome.
"""

from typing import cast
from uuid import UUID

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.chains import Place, follow
from core.contract import CANCEL_CHANNEL, JobStatus
from core.models import Job

jobs = cast(Table, Job.__table__)
NOT_STARTED = [JobStatus.waiting.value, JobStatus.publishing.value, JobStatus.queued.value]
CANCEL_WAITING = (
    update(jobs)
    .where(jobs.c.id == bindparam("uid"), jobs.c.status.in_(NOT_STARTED))
    .values(
        status=JobStatus.cancelled.value,
        error="cancelled before it started (POST /jobs/{id}/cancel)",
        finished_at=func.clock_timestamp(),
    )
    .returning(jobs.c.chain_id, jobs.c.chain_step)
)
FLAG_RUNNING = (
    update(jobs)
    .where(jobs.c.id == bindparam("uid"), jobs.c.status == JobStatus.running.value)
    .values(cancel_requested_at=func.coalesce(jobs.c.cancel_requested_at, func.clock_timestamp()))
    .returning(jobs.c.id)
)


class UnknownJob(Exception):
    pass


class AlreadyFinished(Exception):
    def __init__(self, status: JobStatus) -> None:
        self.status = status


async def cancel(session: AsyncSession, job_id: UUID) -> JobStatus:
    """`cancelled`, or `running` when its worker has been asked to stop it. Raises
    UnknownJob, or AlreadyFinished for a job that is done, failed or cancelled."""
    params = {"uid": job_id}
    if (place := (await session.execute(CANCEL_WAITING, params)).first()) is not None:
        await follow(session, job_id, Place(*place), JobStatus.cancelled)  # its later steps
        await session.commit()
        return JobStatus.cancelled
    if await session.scalar(FLAG_RUNNING, params) is not None:
        # Sent at commit, with the flag: a delivery that starts later reads the flag.
        await session.execute(select(func.pg_notify(CANCEL_CHANNEL, str(job_id))))
        await session.commit()
        return JobStatus.running
    status = await session.scalar(select(jobs.c.status).where(jobs.c.id == job_id))
    await session.rollback()
    if status is None:
        raise UnknownJob(job_id)
    raise AlreadyFinished(JobStatus(status))

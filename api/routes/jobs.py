"""POST /jobs, POST /jobs/batch, GET /jobs/{id}."""

import asyncio
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, Query, status

from api.deps import EnqueuerDep, SessionDep, WaitersDep
from api.schemas import Accepted, BatchAccepted, BatchIn, JobIn, JobOut
from core.contract import FINISHED
from core.models import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "Broker or database unavailable; nothing left queued"}
}
MAX_WAIT_S = 60.0


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue(job: JobIn, enqueuer: EnqueuerDep) -> Accepted:
    [job_id] = await enqueuer.accept([job])
    return Accepted(id=job_id)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue_batch(batch: BatchIn, enqueuer: EnqueuerDep) -> BatchAccepted:
    return BatchAccepted(ids=await enqueuer.accept(batch.jobs))


def millis(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000, 3)


@router.get("/{job_id}", responses={404: {"description": "No such job"}, **UNAVAILABLE})
async def get_job(
    job_id: UUID,
    session: SessionDep,
    waiters: WaitersDep,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT_S, description="seconds to wait for the job to finish"),
    ] = 0,
) -> JobOut:
    """The job's row. With `wait`, answers as soon as the job is done or failed (a
    Postgres notification, no polling), or with its current row after `wait` seconds."""
    job = await session.get(Job, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"job {job_id} not found")
    if wait and job.status not in FINISHED:
        await session.rollback()  # no pooled connection held while waiting
        try:
            async with waiters.waiting(job_id) as finished:
                await session.refresh(job)
                if job.status not in FINISHED:
                    await session.rollback()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(finished), wait)
        except (OSError, asyncpg.PostgresError) as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"cannot wait for jobs: {exc}"
            ) from exc
        await session.refresh(job)
    return JobOut(
        id=job.id,
        backend=job.backend,
        task=job.task,
        status=job.status,
        attempts=job.attempts,
        duplicate_deliveries=job.duplicate_deliveries,
        run_id=job.run_id,
        enqueued_at=job.enqueued_at,
        first_started_at=job.first_started_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        queue_wait_ms=millis(job.enqueued_at, job.first_started_at),
        service_ms=millis(job.started_at, job.finished_at),
        e2e_ms=millis(job.enqueued_at, job.finished_at),
        result=job.result,
        error=job.error,
    )

"""POST /jobs, POST /jobs/batch, GET /jobs/{id}."""

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, status

from api.deps import PublishersDep, SessionDep, SettingsDep
from api.enqueue import accept
from api.schemas import Accepted, BatchAccepted, BatchIn, JobIn, JobOut
from core.models import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "Broker or database unavailable; nothing left queued"}
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue(
    job: JobIn, session: SessionDep, publishers: PublishersDep, settings: SettingsDep
) -> Accepted:
    [job_id] = await accept(session, publishers, settings, [job])
    return Accepted(id=job_id)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue_batch(
    batch: BatchIn, session: SessionDep, publishers: PublishersDep, settings: SettingsDep
) -> BatchAccepted:
    return BatchAccepted(ids=await accept(session, publishers, settings, batch.jobs))


def millis(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000, 3)


@router.get("/{job_id}", responses={404: {"description": "No such job"}})
async def get_job(job_id: UUID, session: SessionDep) -> JobOut:
    job = await session.get(Job, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"job {job_id} not found")
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

"""POST /jobs, POST /jobs/batch, GET /jobs/{id}, POST /jobs/{id}/cancel."""

import asyncio
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Response, status

from api.cancel import AlreadyFinished, UnknownJob, cancel
from api.deps import EnqueuerDep, SessionDep, WaitersDep
from api.schemas import Accepted, BatchAccepted, BatchIn, CancelOut, JobIn, JobOut
from core.contract import FINISHED, JobStatus
from core.models import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "Broker or database unavailable; nothing left queued"}
}
MAX_WAIT_S = 60.0


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue(job: JobIn, enqueuer: EnqueuerDep) -> Accepted:
    request = await enqueuer.submit([job])
    return Accepted(id=request.ids[0], then=request.steps[0])


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue_batch(batch: BatchIn, enqueuer: EnqueuerDep) -> BatchAccepted:
    request = await enqueuer.submit(batch.jobs)
    return BatchAccepted(ids=request.ids, then=request.steps)


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
    """The job's row. With `wait`, answers as soon as the job is done, failed or cancelled (a
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
        priority=job.priority,
        enqueued_at=job.enqueued_at,
        run_at=job.run_at,
        cancel_requested_at=job.cancel_requested_at,
        chain_id=job.chain_id,
        chain_step=job.chain_step,
        first_started_at=job.first_started_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        queue_wait_ms=millis(job.run_at or job.enqueued_at, job.first_started_at),
        service_ms=millis(job.started_at, job.finished_at),
        e2e_ms=millis(job.enqueued_at, job.finished_at),
        result=job.result,
        error=job.error,
    )


@router.post(
    "/{job_id}/cancel",
    responses={
        202: {"description": "Running: its worker is stopping it", "model": CancelOut},
        404: {"description": "No such job"},
        409: {"description": "The job is already done, failed or cancelled"},
    },
)
async def cancel_job(job_id: UUID, session: SessionDep, response: Response) -> CancelOut:
    """A job not yet started is cancelled (200) and never runs. A running one is stopped
    by its worker (202): GET /jobs/{id}?wait= then shows it cancelled, or done if it
    finished first."""
    try:
        now = await cancel(session, job_id)
    except UnknownJob:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"job {job_id} not found") from None
    except AlreadyFinished as exc:
        detail = {"error": f"job {job_id} is already {exc.status}", "status": exc.status}
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail) from None
    if now is JobStatus.running:
        response.status_code = status.HTTP_202_ACCEPTED
    return CancelOut(id=job_id, status=now)

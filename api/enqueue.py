"""Accept jobs: insert `queued` rows, publish, and never leave a row that claims
to be queued but was not published (those are marked failed, answered 503)."""

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID, uuid4

from fastapi import HTTPException, status
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from api.publishers import Outgoing, Publisher
from api.schemas import JobIn
from core.contract import Backend
from core.models import Job


async def accept(
    session: AsyncSession, publishers: dict[Backend, Publisher], jobs: Sequence[JobIn]
) -> list[UUID]:
    ids = [uuid4() for _ in jobs]
    rows = [
        {
            "id": job_id,
            "backend": job.backend.value,
            "task": job.task,
            "status": "queued",
            "attempts": 0,
            "payload": job.payload.model_dump(mode="json"),
            "run_id": job.run_id,
        }
        for job_id, job in zip(ids, jobs, strict=True)
    ]
    # Committed before publishing, so a fast worker always finds its row.
    await session.execute(insert(Job), rows)
    await session.commit()

    by_backend: dict[Backend, list[Outgoing]] = defaultdict(list)
    for job_id, job in zip(ids, jobs, strict=True):
        by_backend[job.backend].append(
            Outgoing(job_id, job.task, job.payload.model_dump(mode="json"))
        )
    failed: dict[UUID, str] = {}
    for backend, outgoing in by_backend.items():
        failed.update(await publishers[backend].publish(outgoing))

    if failed:
        for job_id, why in failed.items():
            await session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status="failed", error=why, finished_at=func.clock_timestamp())
            )
        await session.commit()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={
                "error": "message broker unavailable; the jobs listed in 'failed' were not queued",
                "failed": {str(k): v for k, v in failed.items()},
                "queued": [str(i) for i in ids if i not in failed],
            },
        )
    return ids

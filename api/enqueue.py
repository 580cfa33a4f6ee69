"""Accept jobs, outbox-style: commit the rows as `publishing`, publish, then mark
them `queued` (confirmed by RabbitMQ) or `failed` (answered 503). A row never claims
`queued` without a message behind it; one left `publishing` by an API process that
died in between is published again by the recovery (api/recovery.py)."""

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID, uuid4

from fastapi import HTTPException, status
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from api.publishers import Outgoing, Publisher
from api.schemas import JobIn
from core.contract import Backend, JobStatus
from core.models import Job
from core.settings import Settings
from core.test_hooks import pause_before_publish


async def publish(
    publishers: dict[Backend, Publisher], jobs: Sequence[tuple[UUID, Backend, str]]
) -> dict[UUID, str]:
    """Publish (job id, backend, task) triples; {job_id: reason} for those that failed."""
    by_backend: dict[Backend, list[Outgoing]] = defaultdict(list)
    for job_id, backend, task in jobs:
        by_backend[backend].append(Outgoing(job_id, task))
    failed: dict[UUID, str] = {}
    for backend, outgoing in by_backend.items():
        failed.update(await publishers[backend].publish(outgoing))
    return failed


async def accept(
    session: AsyncSession,
    publishers: dict[Backend, Publisher],
    settings: Settings,
    jobs: Sequence[JobIn],
) -> list[UUID]:
    ids = [uuid4() for _ in jobs]
    rows = [
        {
            "id": job_id,
            "backend": job.backend.value,
            "task": job.task,
            "status": JobStatus.publishing.value,
            "attempts": 0,
            "payload": job.payload.model_dump(mode="json"),
            "run_id": job.run_id,
        }
        for job_id, job in zip(ids, jobs, strict=True)
    ]
    # Committed before publishing, so a fast worker always finds its row.
    await session.execute(insert(Job), rows)
    await session.commit()
    await pause_before_publish(settings)

    failed = await publish(
        publishers, [(i, job.backend, job.task) for i, job in zip(ids, jobs, strict=True)]
    )
    publishing = Job.status == JobStatus.publishing  # a worker may have started it already
    published = [i for i in ids if i not in failed]
    if published:
        await session.execute(
            update(Job).where(Job.id.in_(published), publishing).values(status=JobStatus.queued)
        )
    for job_id, why in failed.items():
        await session.execute(
            update(Job)
            .where(Job.id == job_id, publishing)
            .values(status=JobStatus.failed, error=why, finished_at=func.clock_timestamp())
        )
    await session.commit()
    if failed:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={
                "error": "message broker unavailable; the jobs listed in 'failed' were not queued",
                "failed": {str(k): v for k, v in failed.items()},
                "queued": [str(i) for i in ids if i not in failed],
            },
        )
    return ids

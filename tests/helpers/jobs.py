"""Create job rows and run them through the real lifecycle, as a worker would."""

from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.contract import JobStatus, TaskName
from core.lifecycle import execute
from core.models import Job
from core.settings import Settings


async def new_job(session: AsyncSession, task: TaskName, payload: dict[str, Any]) -> UUID:
    job_id = uuid4()
    session.add(
        Job(
            id=job_id,
            backend="taskiq",
            task=task.value,
            status=JobStatus.queued,
            attempts=0,
            payload=payload,
        )
    )
    await session.commit()
    return job_id


async def run_job(
    session: AsyncSession,
    settings: Settings,
    task: TaskName,
    payload: dict[str, Any],
    http: httpx.AsyncClient | None = None,
) -> Job:
    """Insert a job, execute it once, return the refreshed row."""
    job_id = await new_job(session, task, payload)
    async with httpx.AsyncClient() as default_http:
        await execute(session, http or default_http, settings, task, str(job_id))
    job = await session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job

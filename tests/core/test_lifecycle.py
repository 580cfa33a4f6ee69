from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core import lifecycle
from core.contract import TaskName
from core.errors import TransientError
from core.jobs import JOBS, JobSpec
from core.models import Job
from core.settings import Settings
from tests.helpers.jobs import new_job, run_job


def flaky(failures: int, exc: Exception) -> Any:
    calls = {"n": 0}

    async def run(ctx: Any, payload: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise exc
        return {"calls": calls["n"]}

    return run


@pytest.fixture
def patch_job(monkeypatch: pytest.MonkeyPatch) -> Any:
    def patch(run: Any) -> None:
        spec = JOBS[TaskName.sales_report]
        monkeypatch.setitem(JOBS, TaskName.sales_report, JobSpec(spec.payload, run))

    return patch


async def test_transient_error_is_retried_and_counted(
    session: AsyncSession, settings: Settings, patch_job: Any
) -> None:
    patch_job(flaky(2, TransientError("blip")))
    job = await run_job(session, settings, TaskName.sales_report, {})
    assert (job.status, job.attempts, job.result) == ("done", 3, {"calls": 3})
    assert (
        job.started_at and job.finished_at and job.enqueued_at <= job.started_at <= job.finished_at
    )


async def test_permanent_error_fails_at_once(
    session: AsyncSession, settings: Settings, patch_job: Any
) -> None:
    patch_job(flaky(5, KeyError("bug")))
    job = await run_job(session, settings, TaskName.sales_report, {})
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error == "KeyError: 'bug'"


async def test_invalid_payload_fails_at_once(session: AsyncSession, settings: Settings) -> None:
    job = await run_job(session, settings, TaskName.sales_report, {"window_minutes": -1})
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error is not None and job.error.startswith("invalid payload")


async def test_redelivery_beyond_the_budget_gives_up(
    session: AsyncSession, settings: Settings
) -> None:
    # Each crash-and-redeliver spends an attempt; a job that keeps killing its
    # worker must end failed, not loop forever.
    job_id = await new_job(session, TaskName.sales_report, {})
    for _ in range(settings.retry_max_attempts):
        assert await lifecycle.mark_running(session, job_id) is not None
    async with httpx.AsyncClient() as http:
        status = await lifecycle.execute(
            session, http, settings, TaskName.sales_report, str(job_id), {}
        )
    job = await session.get(Job, job_id, populate_existing=True)
    assert status == "failed" and job is not None and job.status == "failed"
    assert job.error == f"gave up after {settings.retry_max_attempts} attempts"


def test_backoff_is_bounded(settings: Settings) -> None:
    waits = [lifecycle.backoff(settings, n) for n in range(1, 20)]
    assert waits == sorted(waits) and max(waits) <= settings.retry_backoff_max_s

from typing import Any

import httpx
import pytest
from sqlalchemy import update
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
    first, last, end = job.first_started_at, job.started_at, job.finished_at
    assert first is not None and last is not None and end is not None
    assert job.enqueued_at <= first < last <= end
    # The two failed attempts and their backoff lie between the first and the last
    # start: in neither the queue wait (enqueued -> first) nor the service (last -> end).
    backoffs = settings.backoff(1) + settings.backoff(2)
    assert (last - first).total_seconds() >= backoffs


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
            session, http, settings, TaskName.sales_report, str(job_id)
        )
    job = await session.get(Job, job_id, populate_existing=True)
    assert status == "failed" and job is not None and job.status == "failed"
    assert job.error == f"gave up after {settings.retry_max_attempts} attempts"


def test_backoff_is_bounded(settings: Settings) -> None:
    waits = [settings.backoff(n) for n in range(1, 20)]
    assert waits == sorted(waits) and max(waits) <= settings.retry_backoff_max_s


async def test_the_payload_is_read_from_the_row(session: AsyncSession, settings: Settings) -> None:
    """The message names the job; what runs is what the row holds when it starts."""
    job_id = await new_job(session, TaskName.sales_report, {"window_minutes": -1})
    await session.execute(
        update(Job).where(Job.id == job_id).values(payload={"window_minutes": 30, "top": 2})
    )
    await session.commit()
    async with httpx.AsyncClient() as http:
        status = await lifecycle.execute(
            session, http, settings, TaskName.sales_report, str(job_id)
        )
    job = await session.get(Job, job_id, populate_existing=True)
    assert status == "done" and job is not None and job.status == "done", job and job.error


async def test_delivery_of_a_finished_job_changes_nothing_and_is_counted(
    session: AsyncSession, settings: Settings, patch_job: Any
) -> None:
    patch_job(flaky(0, TransientError("never")))
    job_id = await new_job(session, TaskName.sales_report, {})
    outcomes = []
    async with httpx.AsyncClient() as http:
        for _ in range(3):
            outcomes.append(
                await lifecycle.execute(session, http, settings, TaskName.sales_report, str(job_id))
            )
    job = await session.get(Job, job_id, populate_existing=True)
    assert outcomes == ["done", "duplicate", "duplicate"]
    assert job is not None and (job.status, job.attempts, job.duplicate_deliveries) == (
        "done",
        1,
        2,
    )
    assert job.result == {"calls": 1}  # the job ran once


async def test_a_message_for_another_task_fails_the_job(
    session: AsyncSession, settings: Settings
) -> None:
    job_id = await new_job(session, TaskName.sales_report, {})
    async with httpx.AsyncClient() as http:
        status = await lifecycle.execute(session, http, settings, TaskName.price_order, str(job_id))
    job = await session.get(Job, job_id, populate_existing=True)
    assert status == "failed" and job is not None
    assert job.error == "message for task price_order but the job is a sales_report"

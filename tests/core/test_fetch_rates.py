import time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.contract import TaskName
from core.settings import Settings
from stub.app import rate
from tests.helpers.jobs import run_job


async def test_takes_at_least_the_requested_latency(
    session: AsyncSession, settings: Settings, stub: str
) -> None:
    payload = {"base": "EUR", "symbols": ["USD", "GBP"], "latency_ms": 300}
    started = time.monotonic()
    job = await run_job(session, settings, TaskName.fetch_rates, payload)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert job.status == "done", job.error
    assert elapsed_ms >= 300
    assert job.started_at and job.finished_at
    assert (job.finished_at - job.started_at).total_seconds() * 1000 >= 300
    assert job.result == {
        "base": "EUR",
        "rates": {"USD": rate("EUR", "USD"), "GBP": rate("EUR", "GBP")},
    }
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{stub}/calls")).json()["calls"]
    assert calls[str(job.id)] == 1  # the job id went out as Idempotency-Key


async def test_5xx_is_retried_then_fails_with_the_error(
    session: AsyncSession, settings: Settings, failing_stub: str
) -> None:
    failing = settings.model_copy(update={"stub_url": failing_stub})
    job = await run_job(session, failing, TaskName.fetch_rates, {"latency_ms": 0})
    assert job.status == "failed"
    assert job.attempts == settings.retry_max_attempts
    assert job.error is not None and "503" in job.error and "after 3 attempts" in job.error

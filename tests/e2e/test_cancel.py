"""POST /jobs/{id}/cancel on real workers of each backend: a queued job never runs, a
running one is stopped through its deadline, a finished one is a 409."""

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import Backend
from core.models import Job, Order
from core.settings import Settings
from tests.helpers import amqp
from tests.helpers.api import post_job
from tests.helpers.workers import wait_finished, wait_running, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")
SLOW = {"symbols": ["USD"], "latency_ms": 5000}  # the stub answers after 5 s


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_queued_job_never_runs(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    cancelled = await post_job(client, backend, "price_order")  # no worker yet: it waits
    delayed = await post_job(client, backend, "price_order", delay_s=2)
    for job_id in (cancelled, delayed):
        response = await client.post(f"/jobs/{job_id}/cancel")
        assert response.status_code == 200, response.text
        assert response.json() == {"id": str(job_id), "status": "cancelled"}
    async with worker(settings, backend):
        # Posted after them, with a later run_at: once it is done, both messages were read.
        marker = await post_job(client, backend, "sales_report", delay_s=3)
        await wait_finished(sessionmaker, [marker], limit_s=60)
    for job in await wait_finished(sessionmaker, [cancelled, delayed]):
        assert (job.status, job.attempts, job.first_started_at) == ("cancelled", 0, None)
        assert job.duplicate_deliveries == 0
        assert job.error is not None and "before it started" in job.error
    async with sessionmaker() as s:  # neither wrote its order; both messages were consumed
        assert await s.scalar(select(func.count()).select_from(Order)) == 0
        assert await s.scalar(select(func.count()).select_from(Job)) == 3
    assert await amqp.depth(settings, settings.queue_for(Backend(backend))) == 0


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_running_job_is_stopped_and_a_finished_one_is_409(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend) as proc:
        slow = await post_job(client, backend, "fetch_rates", payload=SLOW)
        await wait_running(sessionmaker, slow, proc)
        response = await client.post(f"/jobs/{slow}/cancel")
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "running"
        [job] = await wait_finished(sessionmaker, [slow], limit_s=30)
        done = await post_job(client, backend, "sales_report")
        await wait_finished(sessionmaker, [done])
    assert (job.status, job.attempts, job.result) == ("cancelled", 1, None)
    assert job.error is not None and "cancelled while running" in job.error
    assert job.cancel_requested_at is not None and job.finished_at is not None
    stopped_in = (job.finished_at - job.cancel_requested_at).total_seconds()
    assert stopped_in < 3, f"stopped {stopped_in:.1f} s after the cancel (the call takes 5 s)"
    for finished, status in ((slow, "cancelled"), (done, "done")):
        response = await client.post(f"/jobs/{finished}/cancel")
        assert response.status_code == 409, response.text
        assert response.json()["detail"]["status"] == status

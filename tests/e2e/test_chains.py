"""Chains (`then` in POST /jobs) on real workers of each backend: each step runs after the
one before it is done; after a failed or cancelled step none runs, and the rows say where
the chain stopped."""

from itertools import pairwise
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import SalesSummary
from core.settings import Settings
from tests.helpers.workers import wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")
ORDER = {"items": [{"sku": "CHAIN", "qty": 2}], "prices": {"CHAIN": "5.00"}}
STEPS = [
    {"task": "fetch_rates", "payload": {"symbols": ["USD"], "latency_ms": 0}},
    {"task": "sales_report", "payload": {"window_minutes": 5}},
]


async def post_chain(client: httpx.AsyncClient, backend: str) -> list[UUID]:
    body = {"backend": backend, "task": "price_order", "payload": ORDER, "then": STEPS}
    response = await client.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert len(accepted["then"]) == len(STEPS)
    return [UUID(accepted["id"]), *(UUID(i) for i in accepted["then"])]


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_each_step_runs_after_the_one_before_is_done(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend):
        ids = await post_chain(client, backend)
        jobs = await wait_finished(sessionmaker, ids, limit_s=60)
    assert [(j.task, j.status, j.chain_step) for j in jobs] == [
        ("price_order", "done", 0),
        ("fetch_rates", "done", 1),
        ("sales_report", "done", 2),
    ]
    assert {j.chain_id for j in jobs} == {ids[0]}
    for before, after in pairwise(jobs):
        assert before.finished_at is not None and after.first_started_at is not None
        assert after.first_started_at >= before.finished_at
        assert after.publishes == 1
    async with sessionmaker() as s:  # the report ran after the order was written
        row = await s.scalar(select(SalesSummary).where(SalesSummary.sku == "CHAIN"))
    assert row is not None and row.units == 2


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_no_step_runs_after_a_failed_one(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    failing_stub: str,
) -> None:
    async with worker(settings, backend, env={"STUB_URL": failing_stub}):  # fetch_rates fails
        ids = await post_chain(client, backend)
        order, rates, report = await wait_finished(sessionmaker, ids, limit_s=60)
    assert (order.status, rates.status, report.status) == ("done", "failed", "cancelled")
    assert rates.attempts == settings.retry_max_attempts
    assert (report.attempts, report.first_started_at, report.publishes) == (0, None, 0)
    assert report.error == f"chain stopped: step 1 (job {rates.id}) failed"


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_cancelled_chain_runs_none_of_its_steps(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ids = await post_chain(client, backend)  # no worker yet
    response = await client.post(f"/jobs/{ids[0]}/cancel")
    assert response.status_code == 200, response.text
    async with worker(settings, backend):
        marker = await client.post("/jobs", json={"backend": backend, "task": "sales_report"})
        await wait_finished(sessionmaker, [UUID(marker.json()["id"])])
    jobs = await wait_finished(sessionmaker, ids)
    assert [(j.status, j.attempts) for j in jobs] == [("cancelled", 0)] * 3
    assert jobs[1].error == f"chain stopped: step 0 (job {ids[0]}) cancelled"
    response = await client.post(f"/jobs/{ids[2]}/cancel")
    assert response.status_code == 409, response.text

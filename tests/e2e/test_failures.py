"""Failures, for both backends: bounded retries, redelivery after SIGKILL, a dropped
database connection mid-job: no job is ever left `running`."""

import os
import signal
from uuid import UUID

import httpx
import psutil
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import WORKER_ROLE
from core.models import Order, OrderItem
from core.settings import Settings
from tests.helpers.workers import wait_finished, wait_running, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "stub")
BACKENDS = ["celery", "taskiq"]


async def post(client: httpx.AsyncClient, body: dict[str, object]) -> UUID:
    response = await client.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    return UUID(response.json()["id"])


@pytest.mark.parametrize("backend", BACKENDS)
async def test_failing_external_call_ends_failed_after_bounded_retries(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    payload = {"latency_ms": 0, "simulate_status": 502}
    async with worker(settings, backend):
        job_id = await post(client, {"backend": backend, "task": "fetch_rates", "payload": payload})
        [job] = await wait_finished(sessionmaker, [job_id])
    assert (job.status, job.attempts) == ("failed", settings.retry_max_attempts)
    assert job.error is not None
    assert f"after {settings.retry_max_attempts} attempts" in job.error and "502" in job.error


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_job_is_redelivered_and_creates_one_order(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    payload = {"items": [{"sku": "K", "qty": 2}], "prices": {"K": "1.25"}, "hold_ms": 4000}
    async with worker(settings, backend, n=1) as proc:
        job_id = await post(client, {"backend": backend, "task": "price_order", "payload": payload})
        await wait_running(sessionmaker, job_id, proc)
        children = psutil.Process(proc.pid).children()
        assert len(children) == 1, children
        os.kill(children[0].pid, signal.SIGKILL)  # mid-transaction (pg_sleep holds it open)
        [job] = await wait_finished(sessionmaker, [job_id], limit_s=120)

    assert (job.status, job.attempts) == ("done", 2), job.error
    async with sessionmaker() as s:
        orders = await s.scalar(
            select(func.count()).select_from(Order).where(Order.job_id == job_id)
        )
        items = await s.scalar(
            select(func.count()).select_from(OrderItem).join(Order).where(Order.job_id == job_id)
        )
    assert (orders, items) == (1, 1)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_db_drop_mid_job_is_retried_never_left_running(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    payload = {"items": [{"sku": "D", "qty": 1}], "prices": {"D": "3.00"}, "hold_ms": 3000}
    async with worker(settings, backend, n=1) as proc:
        job_id = await post(client, {"backend": backend, "task": "price_order", "payload": payload})
        await wait_running(sessionmaker, job_id, proc)
        async with sessionmaker() as s:
            killed = await s.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :role AND datname = current_database()"
                ),
                {"role": WORKER_ROLE},
            )
        assert killed and killed >= 1
        [job] = await wait_finished(sessionmaker, [job_id], limit_s=120)

    assert (job.status, job.attempts) == ("done", 2), job.error
    async with sessionmaker() as s:
        orders = await s.scalar(
            select(func.count()).select_from(Order).where(Order.job_id == job_id)
        )
    assert orders == 1

"""Failures, for both backends: bounded retries, redelivery after SIGKILL (and the
external call it repeats), a dropped database connection mid-job: no job is ever
left `running`, and nothing is stored twice."""

import os
import signal
from uuid import UUID

import httpx
import psutil
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.stats import count_repeats
from core.db import WORKER_ROLE
from core.models import Order, OrderItem
from core.settings import Settings
from tests.helpers.api import post_job
from tests.helpers.workers import eventually, wait_finished, wait_running, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "stub")
BACKENDS = ["celery", "taskiq"]
ORDER = {"items": [{"sku": "K", "qty": 2}], "prices": {"K": "1.25"}}


def kill_the_only_child(proc_pid: int) -> None:
    children = psutil.Process(proc_pid).children()
    assert len(children) == 1, children
    os.kill(children[0].pid, signal.SIGKILL)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_failing_external_call_ends_failed_after_bounded_retries(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    failing_stub: str,
) -> None:
    async with worker(settings, backend, env={"STUB_URL": failing_stub}):
        job_id = await post_job(client, backend, "fetch_rates", payload={"latency_ms": 0})
        [job] = await wait_finished(sessionmaker, [job_id])
    assert (job.status, job.attempts) == ("failed", settings.retry_max_attempts)
    assert job.error is not None
    assert f"after {settings.retry_max_attempts} attempts" in job.error and "503" in job.error


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_job_is_redelivered_and_creates_one_order(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend, n=1, env={"TEST_HOLD_MS": "4000"}) as proc:
        job_id = await post_job(client, backend, "price_order", payload=ORDER)
        await wait_running(sessionmaker, job_id, proc)
        kill_the_only_child(proc.pid)  # mid-transaction (the hold keeps it open)
        [job] = await wait_finished(sessionmaker, [job_id], limit_s=120)

    assert (job.status, job.attempts, job.duplicate_deliveries) == ("done", 2, 0), job.error
    async with sessionmaker() as s:
        orders = await s.scalar(
            select(func.count()).select_from(Order).where(Order.job_id == job_id)
        )
        items = await s.scalar(
            select(func.count()).select_from(OrderItem).join(Order).where(Order.job_id == job_id)
        )
    assert (orders, items) == (1, 1)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_after_the_external_call_repeats_it(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    stub: str,
    http: httpx.AsyncClient,
) -> None:
    """At-least-once: the worker dies after calling out and before `done`; the
    redelivery calls again. The stub's count per job id shows the repeat."""

    async def calls(job_id: UUID) -> int:
        got: dict[str, int] = (await http.get(f"{stub}/calls")).json()["calls"]
        return got.get(str(job_id), 0)

    async with worker(settings, backend, n=1, env={"TEST_HOLD_MS": "4000"}) as proc:
        job_id = await post_job(client, backend, "fetch_rates", payload={"latency_ms": 0})

        async def called_once() -> bool:
            return await calls(job_id) == 1

        await eventually(called_once, 60, "the external call", proc)
        await wait_running(sessionmaker, job_id, proc)
        kill_the_only_child(proc.pid)  # after the call, before `done` (held transaction)
        [job] = await wait_finished(sessionmaker, [job_id], limit_s=120)

    assert (job.status, job.attempts) == ("done", 2), job.error
    assert count_repeats([await calls(job_id)]) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_db_drop_mid_job_is_retried_never_left_running(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend, n=1, env={"TEST_HOLD_MS": "3000"}) as proc:
        job_id = await post_job(client, backend, "price_order", payload=ORDER)
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

"""Celery's pools of many tasks in one process, each worker process serving its tasks from
one event loop and one DB pool (workers_celery/bridge.py): the threads pool (the profile at
equal in-flight capacity) and the gevent pool, where Celery patches threading and the loop
runs in a greenlet. Each runs all four jobs, many in flight per process, and survives a
worker kill."""

import os
import signal
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.run import commands
from core.models import Order
from core.settings import Settings
from tests.helpers import processes
from tests.helpers.amqp import consumers
from tests.helpers.api import post_job
from tests.helpers.workers import eventually, wait_finished, wait_running

pytestmark = pytest.mark.usefixtures("empty_queues", "stub", "clean_db")
THREADS = 8
POOLS = pytest.mark.parametrize("variant", ["celery-threads", "celery-gevent"])


async def pool_workers(
    variant: str, settings: Settings, stack: ExitStack, env: dict[str, str]
) -> list[int]:
    """Two Celery workers of THREADS threads (greenlets), as the benchmark runs `variant`,
    once both consume."""
    pids = []
    for cmd in commands.workers(variant, 2, THREADS, 1):
        # Node names of the test's own (one remote-control queue each on the broker).
        cmd = [
            c.replace("WARNING", "INFO").replace("--hostname=bench-", "--hostname=test-")
            for c in cmd
        ]
        pids.append(stack.enter_context(processes.running(cmd, processes.ROOT, env)).pid)

    async def both_consuming() -> bool:
        return await consumers(settings, settings.celery_queue) >= 2

    await eventually(both_consuming, 90, f"two {variant} workers")
    return pids


@POOLS
async def test_the_four_jobs_run_concurrently_on_one_pool_per_process(
    variant: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    with ExitStack() as stack:
        await pool_workers(variant, settings, stack, {})
        # 16 calls of 500 ms: one at a time per process would take 4 s; threads overlap them.
        ids = [
            await post_job(client, "celery", "fetch_rates", payload={"latency_ms": 500})
            for _ in range(16)
        ]
        ids += [
            await post_job(
                client,
                "celery",
                "price_order",
                payload={"items": [{"sku": "T", "qty": 2}], "prices": {"T": "1.50"}},
            ),
            await post_job(client, "celery", "sales_report", payload={}),
            await post_job(client, "celery", "render_invoice", payload={"rounds": 200}),
        ]
        jobs = await wait_finished(sessionmaker, ids)
        async with sessionmaker() as s:
            pools = await s.scalar(
                text(
                    "SELECT count(DISTINCT pid) FROM pg_stat_activity "
                    "WHERE application_name = 'queuebench-worker' AND datname = current_database()"
                )
            )
    assert [(j.task, j.status, j.attempts) for j in jobs] == [(j.task, "done", 1) for j in jobs]
    calls = [j for j in jobs if j.task == "fetch_rates"]
    started = sorted(j.started_at for j in calls if j.started_at)
    finished = sorted(j.finished_at for j in calls if j.finished_at)
    assert (finished[-1] - started[0]).total_seconds() < 3.0  # in flight together
    assert pools is not None and pools <= 2 * settings.db_pool_size  # one pool per process


@POOLS
async def test_a_worker_kill_loses_nothing_and_doubles_nothing(
    variant: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    with ExitStack() as stack:
        pids = await pool_workers(variant, settings, stack, {"TEST_HOLD_MS": "3000"})
        order = {"items": [{"sku": "K", "qty": 1}], "prices": {"K": "2.00"}}
        # Both processes' threads full (prefetch = threads): each holds 8 jobs.
        ids = [
            await post_job(client, "celery", "price_order", payload=order)
            for _ in range(2 * THREADS)
        ]
        for job_id in ids:
            await wait_running(sessionmaker, job_id, None)
        os.kill(pids[0], signal.SIGKILL)  # one whole worker process, mid-transaction
        jobs = await wait_finished(sessionmaker, ids, limit_s=120)
        async with sessionmaker() as s:
            orders = await s.scalar(
                select(func.count()).select_from(Order).where(Order.job_id.in_(ids))
            )
    assert [j.status for j in jobs] == ["done"] * len(ids)
    rerun = [j for j in jobs if j.attempts == 2]
    assert len(rerun) == THREADS  # the killed process's jobs, run again by the other
    assert orders == len(ids)

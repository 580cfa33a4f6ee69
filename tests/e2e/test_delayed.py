"""Delayed jobs (`delay_s` or `run_at`), through the API, on real workers of each backend:
Celery's native delayed delivery, taskiq-aio-pika's delay queue."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import Backend
from core.settings import Settings
from tests.helpers import amqp
from tests.helpers.api import post_job
from tests.helpers.workers import wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_delayed_job_starts_no_earlier_than_asked(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend):
        at = datetime.now(UTC) + timedelta(seconds=2.5)
        ids = [  # shorter first: Taskiq's delay queue holds a short one behind a long one
            await post_job(client, backend, "sales_report", run_at=at.isoformat()),
            await post_job(client, backend, "sales_report", delay_s=3.7),
            await post_job(client, backend, "sales_report"),  # no delay: at once
        ]
        timed, delayed, now = await wait_finished(sessionmaker, ids, limit_s=60)
    for job in (delayed, timed, now):
        assert job.status == "done", job.error
    assert now.run_at is None
    assert timed.run_at == at
    for job in (delayed, timed):
        assert job.run_at is not None and job.first_started_at is not None
        late = (job.first_started_at - job.run_at).total_seconds()
        assert 0 <= late < 3, f"started {late:.3f} s after run_at"
    assert delayed.run_at is not None and delayed.enqueued_at is not None
    assert (delayed.run_at - delayed.enqueued_at).total_seconds() == pytest.approx(3.7, abs=0.5)


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_short_delay_behind_a_long_one(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Celery's delay levels keep each delay; Taskiq's one delay queue expires messages at
    its head only, so a short delay sent after a long one waits for the long one."""
    async with worker(settings, backend):
        long = await post_job(client, backend, "sales_report", delay_s=6)
        short = await post_job(client, backend, "sales_report", delay_s=1)
        # The 6 s one is held by RabbitMQ, not by a worker: nothing in the job queue yet (a
        # Celery delay under 2 s goes straight to it, and its worker holds it to its eta).
        assert await amqp.depth(settings, settings.queue_for(Backend(backend))) == 0
        if backend == "celery":  # 6 s = 110 in binary: in the 4 s level, then the 2 s one
            held = [await amqp.depth(settings, f"celery_delayed_{n}") for n in range(4)]
        else:
            held = [await amqp.depth(settings, f"{settings.taskiq_queue}.delay")]
        assert sum(held) >= 1, held
        long_job, short_job = await wait_finished(sessionmaker, [long, short], limit_s=60)
    assert short_job.first_started_at is not None and short_job.run_at is not None
    assert long_job.run_at is not None
    late = (short_job.first_started_at - short_job.run_at).total_seconds()
    if backend == "celery":
        assert late < 3, f"the 1 s delay started {late:.1f} s late"
    else:
        assert short_job.first_started_at >= long_job.run_at - timedelta(seconds=0.5), (
            f"the 1 s delay started {late:.1f} s late: not held behind the 6 s one"
        )

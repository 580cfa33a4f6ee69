"""Per-task rate limits (RATE_LIMITS) on real workers: Celery's rate_limit, Taskiq's
middleware (workers_taskiq/rate_limit.py). A backlog starts no faster than the limit, and
not far slower."""

from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tests.helpers.amqp import consumers
from tests.helpers.workers import eventually, wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")
LIMIT, JOBS = 5.0, 30
ENV = {"RATE_LIMITS": f'{{"sales_report": {LIMIT}}}', "WORKER_PREFETCH": "2"}


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_a_backlog_is_held_to_the_rate_limit(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = {"backend": backend, "task": "sales_report"}
    async with worker(settings, backend, env=ENV) as proc:  # 2 processes share the limit
        if backend == "taskiq":  # one consumer per process: both take their share

            async def both() -> bool:
                return await consumers(settings, settings.taskiq_queue) >= 2

            await eventually(both, 90, "both Taskiq processes consuming", proc)
        response = await client.post("/jobs/batch", json={"jobs": [job] * JOBS})
        assert response.status_code == 202, response.text
        ids = [UUID(i) for i in response.json()["ids"]]
        jobs = await wait_finished(sessionmaker, ids, limit_s=120)
    assert {j.status for j in jobs} == {"done"}
    starts = sorted(j.first_started_at for j in jobs if j.first_started_at)
    rate = (len(starts) - 1) / (starts[-1] - starts[0]).total_seconds()
    print(f"{backend}: {rate:.2f} jobs/s held against a limit of {LIMIT:g}")
    # Unlimited, this backlog starts within a fraction of a second (hundreds a second).
    assert 0.7 * LIMIT <= rate <= 1.15 * LIMIT, f"{rate:.2f} jobs/s against {LIMIT:g}"

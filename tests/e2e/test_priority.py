"""High-priority jobs overtake a backlog of normal ones on the same quorum queue, in both
backends. RabbitMQ 4 quorum queues deliver high (priority above 4) and normal messages
about 2:1 while both wait; earlier versions ignore priorities on quorum queues."""

from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.features import broker_version
from core.settings import Settings
from tests.helpers.workers import wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")
BACKLOG, HIGH = 200, 6


async def post_batch(
    client: httpx.AsyncClient, backend: str, n: int, priority: str = "normal"
) -> list[UUID]:
    job = {"backend": backend, "task": "sales_report", "priority": priority}
    response = await client.post("/jobs/batch", json={"jobs": [job] * n})
    assert response.status_code == 202, response.text
    return [UUID(i) for i in response.json()["ids"]]


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_high_priority_jobs_overtake_a_backlog(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    if await broker_version(settings) < (4, 0):
        pytest.skip("quorum queues ignore priorities before RabbitMQ 4.0 (CI runs 4.0)")
    normal = await post_batch(client, backend, BACKLOG)  # no worker yet: a backlog
    high = await post_batch(client, backend, HIGH, "high")
    async with worker(settings, backend, env={"WORKER_PREFETCH": "4"}):
        jobs = await wait_finished(sessionmaker, normal + high, limit_s=180)
    assert all(j.status == "done" for j in jobs)
    order = sorted(jobs, key=lambda j: j.first_started_at)  # type: ignore[arg-type,return-value]
    ranks = sorted(order.index(j) for j in jobs if j.id in set(high))
    assert {j.priority for j in jobs if j.id in set(high)} == {"high"}
    # First in first out would start them last (ranks 200-205); 2:1 starts them early,
    # after at most the messages the workers had reserved before (2 x 4).
    assert ranks[-1] < 30, f"high-priority jobs started at ranks {ranks} of {len(jobs)}"

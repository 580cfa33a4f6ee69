"""A worker holding prefetched, unacknowledged messages loses its connection (RabbitMQ
closes it: the taskiq-aio-pika #46 case, checked for Celery too). Each deployed worker must
go on taking tasks, and no message may be stranded: every job accepted before and after the
drop ends done, and the queue ends empty. The figures are printed: `pytest -s`."""

import asyncio
import tempfile
import time
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import JobStatus
from core.settings import Settings
from tests.helpers import amqp
from tests.helpers.processes import logged
from tests.helpers.workers import DEPLOYED, deployed, eventually, wait_finished, wait_running

pytestmark = pytest.mark.usefixtures("empty_queues", "stub", "clean_db")
RESUME_BOUND_S = 60.0
# One process running 2 jobs at a time with 8 messages reserved: 6 wait unacknowledged in
# the worker when the connection drops.
SIZES = {"WORKER_PROCESSES": "1", "WORKER_SLOTS": "2", "WORKER_PREFETCH": "8"}
SLOW = {"task": "fetch_rates", "payload": {"latency_ms": 400}}


async def accept(
    client: httpx.AsyncClient, backend: str, n: int, within_s: float = 0
) -> list[UUID]:
    """Post n jobs; a 503 (the API's own connection reconnecting) is retried `within_s`."""
    body = {"jobs": [{"backend": backend, **SLOW}] * n}
    deadline = time.monotonic() + within_s
    while (response := await client.post("/jobs/batch", json=body)).status_code == 503:
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.5)
    assert response.status_code == 202, response.text
    return [UUID(i) for i in response.json()["ids"]]


@pytest.mark.parametrize("variant", list(DEPLOYED))
async def test_a_worker_goes_on_after_losing_prefetched_messages(
    variant: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    backend = DEPLOYED[variant][0]
    queue = settings.queue_for(backend)
    with tempfile.TemporaryFile() as log:
        async with deployed(settings, variant, SIZES, log) as proc:
            before = await accept(client, backend, 16)
            await wait_running(sessionmaker, before[0], proc)

            async def prefetched() -> bool:  # the worker holds more than it runs
                return await amqp.depth(settings, queue) <= 16 - 8

            await eventually(prefetched, 30, "the worker to reserve its prefetch", proc)
            await amqp.drop_connections(settings)
            dropped_at = time.monotonic()
            after = await accept(client, backend, 4, within_s=30)
            try:
                rows = await wait_finished(sessionmaker, before + after, RESUME_BOUND_S + 60)
            except AssertionError as exc:
                tail = logged(log).decode(errors="replace")[-4000:]
                raise AssertionError(f"{exc}; the worker's log ends:\n{tail}") from None
            done_s = time.monotonic() - dropped_at
            assert proc.poll() is None, "the worker exited"

            async def drained() -> bool:
                return await amqp.depth(settings, queue) == 0

            await eventually(drained, 30, f"{queue} to be empty", proc)
    attempts = sum(r.attempts for r in rows)
    print(
        f"\n{variant}: all {len(rows)} jobs done {done_s:.1f} s after the drop; "
        f"{attempts - len(rows)} attempt(s) repeated (redelivered messages)"
    )
    assert [r.status for r in rows] == [JobStatus.done] * len(rows)
    assert done_s <= RESUME_BOUND_S + 20  # 20 jobs of 0.4 s, two at a time, after resuming

"""The database unreachable for the worker, for both backends: the message is handed
back to RabbitMQ, never acked and lost; past DELIVERY_LIMIT returns RabbitMQ
dead-letters it, and the API's recovery marks the job failed once the database is back.

Postgres is reached through a TCP proxy the test takes down and brings back."""

import tempfile
from collections.abc import Iterator
from typing import IO
from uuid import UUID

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import Backend, JobStatus
from core.models import Job
from core.settings import Settings
from core.topology import DeadLetters
from tests.helpers import amqp, api
from tests.helpers.processes import logged
from tests.helpers.proxy import Proxy, proxied
from tests.helpers.workers import eventually, wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues")
PROXY_PORT = 15433
HANDED_BACK = b"database unavailable; handing the message back"


@pytest.fixture
def proxy(settings: Settings) -> Iterator[Proxy]:
    target = make_url(settings.database_url)
    with proxied(target.host or "127.0.0.1", target.port or 5432, PROXY_PORT) as p:
        yield p


def through(settings: Settings, proxy: Proxy) -> Settings:
    url = make_url(settings.database_url).set(host="127.0.0.1", port=proxy.port)
    return settings.model_copy(update={"database_url": url.render_as_string(False)})


def worker_env(settings: Settings, proxy: Proxy, backoff_s: float) -> dict[str, str]:
    url = through(settings, proxy).database_url
    return {"DATABASE_URL": url, "DB_RETRY_ATTEMPTS": "3", "RETRY_BACKOFF_S": str(backoff_s)}


def hand_backs(log: IO[bytes]) -> int:
    return logged(log).count(HANDED_BACK)


async def get_job(sessionmaker: async_sessionmaker[AsyncSession], job_id: UUID) -> Job:
    async with sessionmaker() as s:
        job = await s.get(Job, job_id)
    assert job is not None
    return job


@pytest.mark.parametrize("backend", list(Backend))
async def test_the_message_is_handed_back_until_the_database_returns(
    backend: Backend,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    proxy: Proxy,
) -> None:
    proxy.down()
    dead = DeadLetters.of(settings.queue_for(backend))
    with tempfile.TemporaryFile() as log:
        # Slow backoff: a few seconds per delivery, far from the delivery limit.
        env = worker_env(settings, proxy, backoff_s=1.0)
        async with worker(settings, backend, n=1, env=env, log=log) as proc:
            response = await client.post("/jobs", json={"backend": backend, "task": "sales_report"})
            job_id = UUID(response.json()["id"])

            async def handed_back() -> bool:
                return hand_backs(log) >= 1

            await eventually(handed_back, 60, "a hand-back", proc)
            assert (await get_job(sessionmaker, job_id)).status == JobStatus.queued
            proxy.up()
            [job] = await wait_finished(sessionmaker, [job_id])
        assert 1 <= hand_backs(log) < settings.delivery_limit
    assert (job.status, job.attempts) == ("done", 1), job.error
    assert await amqp.depth(settings, dead.kept) == 0


@pytest.mark.parametrize("backend", list(Backend))
async def test_past_the_delivery_limit_it_is_dead_lettered_and_failed_when_the_database_is_back(
    backend: Backend,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    proxy: Proxy,
) -> None:
    dead = DeadLetters.of(settings.queue_for(backend))
    await amqp.purge(settings, dead.kept, dead.recovery)
    # The API (and its recovery) reaches Postgres through the proxy too.
    async with api.running(through(settings, proxy)) as (app, client):
        response = await client.post("/jobs", json={"backend": backend, "task": "sales_report"})
        assert response.status_code == 202, response.text
        job_id = UUID(response.json()["id"])
        proxy.down()

        with tempfile.TemporaryFile() as log:
            env = worker_env(settings, proxy, backoff_s=0.05)
            async with worker(settings, backend, n=1, env=env, log=log) as proc:

                async def dead_lettered() -> bool:
                    return await amqp.depth(settings, dead.kept) == 1

                await eventually(dead_lettered, 120, "the message to be dead-lettered", proc)
                # One hand-back per delivery: the first and DELIVERY_LIMIT returns.
                assert hand_backs(log) == settings.delivery_limit + 1
        headers = await amqp.peek(settings, dead.kept)
        assert headers is not None and headers["x-first-death-reason"] == "delivery_limit"

        # Database still down: the recovery cannot mark the job, and keeps the message.
        blocked = await app.state.services.recovery.once()
        assert blocked.failed == 0 and blocked.errors
        assert await amqp.depth(settings, dead.recovery) == 1
        assert (await get_job(sessionmaker, job_id)).status == JobStatus.queued

        proxy.up()
        done = await app.state.services.recovery.once()
    assert done.failed == 1 and not done.errors
    job = await get_job(sessionmaker, job_id)
    assert job.status == JobStatus.failed and job.finished_at is not None
    assert job.error is not None and "more than 3 times" in job.error
    assert await amqp.depth(settings, dead.recovery) == 0
    assert await amqp.depth(settings, dead.kept) == 1  # kept for operators
    await amqp.purge(settings, dead.kept)

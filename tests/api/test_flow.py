"""Flow control: while RabbitMQ's memory alarm blocks publishers, POST /jobs answers 503
with Retry-After at once and writes nothing, /health says the broker is blocked, and the
workers of both backends go on consuming what was queued before. A real alarm on the real
broker (rabbitmqctl), restored however the test ends."""

import time
from collections.abc import AsyncIterator, Iterator
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.run.probes import rabbit
from core.contract import Backend
from core.settings import Settings
from tests.api.conftest import job_count
from tests.helpers import api
from tests.helpers.workers import eventually, wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "stub")
# As the benchmark runs Celery: a worker with task events on publishes them, and RabbitMQ
# blocks a connection that publishes (README: "Watching the tasks").
NO_EVENTS = {"CELERY_TASK_EVENTS": "false"}


@pytest.fixture
def alarm(settings: Settings) -> Iterator[None]:
    if not rabbit.local(settings):
        pytest.skip("needs rabbitmqctl on the broker's host to raise a memory alarm")
    before = rabbit.memory_watermark(settings)
    rabbit.set_memory_watermark(settings, "0.0001")
    try:
        yield
    finally:
        rabbit.set_memory_watermark(settings, before)


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with api.running(settings) as running:
        yield running


def publishers_blocked(app: FastAPI) -> bool:
    return all(p.blocked() for p in app.state.services.publishers.values())


async def post_batch(client: httpx.AsyncClient, backend: Backend, n: int) -> list[UUID]:
    body = {"jobs": [{"backend": backend, "task": "fetch_rates", "payload": {"latency_ms": 0}}] * n}
    response = await client.post("/jobs/batch", json=body)
    assert response.status_code == 202, response.text
    return [UUID(i) for i in response.json()["ids"]]


async def test_an_alarm_is_503_at_once_health_says_blocked_and_workers_consume(
    app: tuple[FastAPI, httpx.AsyncClient],
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    state, client = app
    queued = {b: await post_batch(client, b, 5) for b in Backend}  # before: both publish
    request.getfixturevalue("alarm")

    async def blocked() -> bool:
        return publishers_blocked(state)

    await eventually(blocked, 30, "RabbitMQ to block the API's publishers")
    before = await job_count(session)
    started = time.monotonic()
    refused = await client.post("/jobs", json={"backend": "taskiq", "task": "sales_report"})
    took = time.monotonic() - started
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5", refused.text
    assert took < 1.0  # at once, not after a publish timeout
    assert await job_count(session) == before  # nothing written
    health = await client.get("/health")
    assert health.status_code == 503 and health.json()["rabbitmq"].startswith("blocked")
    for backend in Backend:  # consumers are not blocked: what was queued still runs
        async with worker(settings, backend, n=1, env=NO_EVENTS):
            rows = await wait_finished(sessionmaker, queued[backend])
        assert {r.status for r in rows} == {"done"}
    assert publishers_blocked(state)  # it was the alarm all along


async def test_after_the_alarm_posts_are_accepted_again(
    app: tuple[FastAPI, httpx.AsyncClient], settings: Settings, request: pytest.FixtureRequest
) -> None:
    state, client = app
    await post_batch(client, Backend.taskiq, 1)
    if not rabbit.local(settings):
        pytest.skip("needs rabbitmqctl on the broker's host to raise a memory alarm")
    before = rabbit.memory_watermark(settings)
    rabbit.set_memory_watermark(settings, "0.0001")
    try:

        async def blocked() -> bool:
            return bool(state.state.services.publishers[Backend.taskiq].blocked())

        await eventually(blocked, 30, "the alarm to block the publisher")
    finally:
        rabbit.set_memory_watermark(settings, before)

    async def unblocked() -> bool:
        return not bool(state.state.services.publishers[Backend.taskiq].blocked())

    await eventually(unblocked, 30, "the publisher to be unblocked")
    assert (await client.get("/health")).json()["rabbitmq"] == "ok"
    await post_batch(client, Backend.taskiq, 1)

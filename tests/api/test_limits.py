"""The API's bounds: request body size (413), requests in flight (503 + Retry-After),
an exhausted database pool (503). A rejected request writes and publishes nothing."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from starlette.types import Message, Receive, Scope, Send

from api.limits import BodySizeLimit
from api.main import create_app
from core.db import make_sessionmaker
from core.jobs import PriceOrderPayload
from core.settings import Settings
from tests.api.conftest import job_count
from tests.helpers import amqp, api

pytestmark = pytest.mark.usefixtures("empty_queues")

JSON = {"content-type": "application/json"}
CHUNK = 64 * 1024


async def queues_empty(settings: Settings) -> bool:
    depths = [await amqp.depth(settings, q) for q in (settings.celery_queue, settings.taskiq_queue)]
    return depths == [0, 0]


def default_batch(n: int = 1000) -> bytes:
    """The largest default job (price_order, its default payload written out, a 64-char
    run_id) n times: what a realistic full batch weighs."""
    job = {
        "backend": "celery",
        "task": "price_order",
        "payload": PriceOrderPayload().model_dump(mode="json"),
        "run_id": "r" * 64,
    }
    return json.dumps({"jobs": [job] * n}).encode()


@pytest.fixture
async def one_at_a_time(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in api.serve(settings.model_copy(update={"max_inflight_requests": 1})):
        yield c


async def test_full_default_batch_fits_the_body_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = default_batch()
    assert len(body) * 4 < settings.max_body_bytes  # comfortably: ~0.3 MB of 2 MiB
    response = await client.post("/jobs/batch", content=body, headers=JSON)
    assert response.status_code == 202, response.text[:300]
    assert len(response.json()["ids"]) == 1000


async def test_body_over_the_limit_is_413_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    # A valid batch, padded past the limit with JSON whitespace: only its size is wrong.
    body = default_batch(10)
    body += b" " * (settings.max_body_bytes + 1 - len(body))
    before = await job_count(session)
    response = await client.post("/jobs/batch", content=body, headers=JSON)
    assert response.status_code == 413, response.text
    assert "MAX_BODY_BYTES" in response.json()["detail"]
    assert await job_count(session) == before
    assert await queues_empty(settings)


async def test_chunked_body_over_the_limit_is_413_and_reading_stops(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    pulled, opening = 0, b'{"jobs": ['

    async def endless() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        nonlocal pulled
        yield opening
        while True:
            pulled += 1
            yield b" " * CHUNK

    before = await job_count(session)
    response = await client.post("/jobs/batch", content=endless(), headers=JSON)
    assert response.status_code == 413, response.text
    assert "MAX_BODY_BYTES" in response.json()["detail"]
    # Reading stopped at the chunk that crossed the limit, not one chunk later.
    assert pulled == (settings.max_body_bytes - len(opening)) // CHUNK + 1
    assert await job_count(session) == before
    assert await queues_empty(settings)


async def test_past_the_inflight_limit_is_503_at_once(
    one_at_a_time: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """With a limit of 1: a request held open by a slow body takes the only slot;
    the next ones are turned away with 503 + Retry-After, writing nothing."""
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"backend": "celery", '
        inside.set()  # the app asked for more: the request holds its slot
        await release.wait()
        yield b'"task": "sales_report"}'

    before = await job_count(session)
    async with asyncio.timeout(30):
        held = asyncio.create_task(one_at_a_time.post("/jobs", content=slow_body(), headers=JSON))
        await inside.wait()

        turned_away = [
            await one_at_a_time.post("/jobs", json={"backend": "celery", "task": "sales_report"}),
            await one_at_a_time.get("/health"),  # counted too: see api/limits.py
        ]
        for response in turned_away:
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert "MAX_INFLIGHT_REQUESTS" in response.json()["detail"]

        release.set()
        assert (await held).status_code == 202
    assert await job_count(session) == before + 1  # only the held request wrote a row
    assert await amqp.depth(settings, settings.celery_queue) == 1
    # The slot is free again once the request is done.
    assert (await one_at_a_time.get("/health")).status_code == 200


async def test_exhausted_db_pool_is_503_not_500(settings: Settings, engine: AsyncEngine) -> None:
    app = create_app(settings)
    tiny = create_async_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with app.router.lifespan_context(app):
            app.state.services.sessionmaker = make_sessionmaker(tiny)
            transport = httpx.ASGITransport(app=app)
            async with (
                tiny.connect(),  # the pool's only connection, held throughout
                httpx.AsyncClient(transport=transport, base_url="http://api") as client,
            ):
                response = await client.get(f"/jobs/{uuid4()}")
    finally:
        await tiny.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert "pool" in response.json()["detail"]


class Recorder:
    """A stand-in app that records whether it was called."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True


async def call_limited(content_length: bytes) -> tuple[Recorder, list[Message]]:
    app, sent = Recorder(), []
    scope: dict[str, Any] = {"type": "http", "headers": [(b"content-length", content_length)]}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await BodySizeLimit(app, max_bytes=1024)(scope, receive, send)
    return app, sent


@pytest.mark.parametrize("content_length", [b"abc", b"-1", b"1e3", b""])
async def test_invalid_content_length_is_400(content_length: bytes) -> None:
    app, sent = await call_limited(content_length)
    assert not app.called
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"detail": "invalid Content-Length header"}


async def test_declared_length_over_the_limit_is_413_before_reading() -> None:
    app, sent = await call_limited(b"1025")
    assert not app.called and sent[0]["status"] == 413

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.contract import Backend
from core.models import Job
from core.settings import Settings
from tests.api.conftest import job_count
from tests.helpers import amqp, api

pytestmark = pytest.mark.usefixtures("empty_queues")

BAD_BODIES: list[tuple[str, Any]] = [
    ("unknown backend", {"backend": "rq", "task": "price_order"}),
    ("unknown task", {"backend": "celery", "task": "mine_bitcoin"}),
    ("missing task", {"backend": "celery"}),
    (
        "payload out of bounds",
        {"backend": "taskiq", "task": "fetch_rates", "payload": {"latency_ms": 999999}},
    ),
    (
        "bad decimal",
        {"backend": "celery", "task": "price_order", "payload": {"prices": {"A-1": "0.001"}}},
    ),
    (
        "sku without price",
        {"backend": "celery", "task": "price_order", "payload": {"items": [{"sku": "Z"}]}},
    ),
    ("unknown field", {"backend": "celery", "task": "render_invoice", "extra": 1}),
    ("not an object", [1, 2, 3]),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
async def test_bad_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, case: str, body: Any
) -> None:
    before = await job_count(session)
    response = await client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]  # says what is wrong
    assert await job_count(session) == before
    for backend in Backend:
        assert await amqp.depth(settings, settings.queue_for(backend)) == 0


async def test_malformed_json_is_422(client: httpx.AsyncClient, session: AsyncSession) -> None:
    before = await job_count(session)
    response = await client.post(
        "/jobs", content=b'{"backend": "celery", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert await job_count(session) == before


@pytest.mark.parametrize("backend", list(Backend))
async def test_valid_post_queues_one_row_and_one_message(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, backend: Backend
) -> None:
    response = await client.post(
        "/jobs", json={"backend": backend, "task": "price_order", "run_id": "t1"}
    )
    assert response.status_code == 202, response.text
    job_id = UUID(response.json()["id"])
    job = await session.get(Job, job_id)
    assert job is not None
    assert (job.status, job.backend, job.task, job.attempts, job.run_id) == (
        "queued",
        backend,
        "price_order",
        0,
        "t1",
    )
    assert job.payload["prices"] == {"A-1": "19.99", "B-2": "0.10"}  # defaults, JSON-safe
    assert await amqp.depth(settings, settings.queue_for(backend)) == 1
    [other] = set(Backend) - {backend}
    assert await amqp.depth(settings, settings.queue_for(other)) == 0

    got = await client.get(f"/jobs/{job_id}")
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "queued" and body["e2e_ms"] is None and body["enqueued_at"]


async def test_batch_queues_every_job(client: httpx.AsyncClient, settings: Settings) -> None:
    jobs = [{"backend": "celery", "task": "sales_report"}] * 5 + [
        {"backend": "taskiq", "task": "render_invoice"}
    ] * 7
    response = await client.post("/jobs/batch", json={"jobs": jobs})
    assert response.status_code == 202, response.text
    assert len(set(response.json()["ids"])) == 12
    assert await amqp.depth(settings, settings.celery_queue) == 5
    assert await amqp.depth(settings, settings.taskiq_queue) == 7


async def test_batch_is_bounded(client: httpx.AsyncClient, session: AsyncSession) -> None:
    before = await job_count(session)
    too_many = {"jobs": [{"backend": "celery", "task": "sales_report"}] * 1001}
    assert (await client.post("/jobs/batch", json=too_many)).status_code == 422
    assert (await client.post("/jobs/batch", json={"jobs": []})).status_code == 422
    assert await job_count(session) == before


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_broker_down_is_503_and_a_failed_row(
    client_broker_down: httpx.AsyncClient, session: AsyncSession, backend: str
) -> None:
    response = await client_broker_down.post(
        "/jobs", json={"backend": backend, "task": "sales_report"}
    )
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    [(job_id, why)] = detail["failed"].items()
    assert detail["queued"] == []
    job = await session.get(Job, UUID(job_id))
    assert job is not None and job.status == "failed" and job.finished_at is not None
    assert job.error == why and why.startswith("publish failed")


async def test_unknown_job_is_404_and_bad_id_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/jobs/00000000-0000-0000-0000-000000000000")).status_code == 404
    assert (await client.get("/jobs/not-a-uuid")).status_code == 422


async def test_health(client: httpx.AsyncClient, client_broker_down: httpx.AsyncClient) -> None:
    up = await client.get("/health")
    assert (up.status_code, up.json()) == (200, {"postgres": "ok", "rabbitmq": "ok"})
    down = await client_broker_down.get("/health")
    assert down.status_code == 503
    assert down.json()["postgres"] == "ok" and down.json()["rabbitmq"].startswith("down")


async def test_a_database_that_is_down_is_503_at_once_not_a_hang(settings: Settings) -> None:
    """Found by the db-restart fault: a batch whose connection could not even be made left
    its requests waiting forever."""
    down = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/queuebench_test"}
    )
    async with api.running(down) as (_, client):
        response = await asyncio.wait_for(
            client.post("/jobs", json={"backend": "taskiq", "task": "sales_report"}), 30
        )
    assert response.status_code == 503, response.text
    assert "database unavailable; nothing was accepted" in response.json()["detail"]
    assert response.headers["retry-after"] == "1"


BAD_STARTS = [
    {"delay_s": -1},
    {"delay_s": 0},
    {"delay_s": 86_401},
    {"delay_s": "soon"},
    {"delay_s": 5, "run_at": "2099-01-01T00:00:00+00:00"},
    {"run_at": "2000-01-01T00:00:00+00:00"},  # past
    {"run_at": "2099-01-01T00:00:00+00:00"},  # beyond a day
    {"run_at": "2099-01-01T00:00:00"},  # no offset
    {"priority": "urgent"},
    {"priority": 9},
]


@pytest.mark.parametrize("extra", BAD_STARTS)
async def test_a_bad_delay_or_priority_is_422_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, extra: dict[str, object]
) -> None:
    body = {"backend": "taskiq", "task": "sales_report", **extra}
    before = await job_count(session)
    response = await client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    assert await job_count(session) == before


async def test_a_cancel_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/jobs/{uuid4()}/cancel")
    assert response.status_code == 404, response.text
    response = await client.post("/jobs/not-a-uuid/cancel")
    assert response.status_code == 422, response.text


BAD_CHAINS = [
    [{"task": "no_such_task"}],
    [{"task": "fetch_rates", "payload": {"latency_ms": -1}}],
    [{"task": "sales_report", "payload": {"note": "\x00"}}],
    [{"task": "sales_report", "backend": "celery"}],
    [{"task": "sales_report"}] * 11,
]


@pytest.mark.parametrize("then", BAD_CHAINS)
async def test_a_bad_chain_is_422_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, then: list[dict[str, object]]
) -> None:
    before = await job_count(session)
    body = {"backend": "taskiq", "task": "sales_report", "then": then}
    response = await client.post("/jobs", json=body)
    assert response.status_code == 422, response.text
    assert await job_count(session) == before

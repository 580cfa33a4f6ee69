"""GET /jobs/{id}?wait=: answers as soon as the job finishes (a Postgres notification,
no polling), times out cleanly at its bound, and rejects bad values."""

import asyncio
import time
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import TaskName
from core.lifecycle import execute
from core.settings import Settings

pytestmark = pytest.mark.usefixtures("empty_queues")


async def post_job(client: httpx.AsyncClient) -> UUID:
    """A job that runs in-process without a stub: sales_report on whatever orders exist."""
    response = await client.post("/jobs", json={"backend": "taskiq", "task": "sales_report"})
    assert response.status_code == 202, response.text
    return UUID(response.json()["id"])


async def run_it(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, job_id: UUID
) -> float:
    """Run the job as a worker would; when it finished (monotonic clock)."""
    async with sessionmaker() as session, httpx.AsyncClient() as http:
        outcome = await execute(session, http, settings, TaskName.sales_report, str(job_id))
        assert outcome == "done"
    return time.monotonic()


async def test_wait_answers_as_soon_as_the_job_is_done(
    client: httpx.AsyncClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job_id = await post_job(client)
    waiting = asyncio.create_task(client.get(f"/jobs/{job_id}", params={"wait": 20}))
    await asyncio.sleep(0.5)  # the waiter is parked; nothing finishes the job before this
    assert not waiting.done()
    finished = await run_it(sessionmaker, settings, job_id)
    response = await waiting
    answered = time.monotonic()
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert answered - finished < 0.2  # milliseconds after the commit, not the 20 s bound


async def test_wait_times_out_cleanly_at_its_bound(client: httpx.AsyncClient) -> None:
    job_id = await post_job(client)  # no worker: it stays queued
    started = time.monotonic()
    response = await client.get(f"/jobs/{job_id}", params={"wait": 1.0})
    took = time.monotonic() - started
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert 1.0 <= took < 3.0


async def test_waiters_hold_no_database_connection(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = [await post_job(client) for _ in range(settings.db_pool_size + 5)]
    waits = [client.get(f"/jobs/{i}", params={"wait": 1.0}) for i in ids]
    responses = await asyncio.gather(*waits)  # more waiters than pooled connections
    assert [r.status_code for r in responses] == [200] * len(ids)


@pytest.mark.parametrize("wait", ["-1", "61", "soon", "nan"])
async def test_bad_wait_is_422(client: httpx.AsyncClient, wait: str) -> None:
    job_id = await post_job(client)
    response = await client.get(f"/jobs/{job_id}", params={"wait": wait})
    assert response.status_code == 422, response.text


async def test_a_finished_job_answers_at_once(
    client: httpx.AsyncClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job_id = await post_job(client)
    await run_it(sessionmaker, settings, job_id)
    started = time.monotonic()
    response = await client.get(f"/jobs/{job_id}", params={"wait": 20})
    assert response.json()["status"] == "done" and time.monotonic() - started < 1.0

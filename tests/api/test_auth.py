"""API_TOKEN: with it, every route but /health needs `Authorization: Bearer`; a missing or
wrong token is 401 with nothing written; an API bound beyond loopback without a token
refuses to start, in one line."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.settings import Settings
from tests.api.conftest import job_count
from tests.helpers import api
from tests.helpers.processes import ROOT

pytestmark = pytest.mark.usefixtures("empty_queues")
TOKEN = "test-token-0123456789abcdef"
JOB = {"backend": "taskiq", "task": "sales_report"}


@pytest.fixture
async def guarded(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with api.running(settings.model_copy(update={"api_token": TOKEN})) as (_, client):
        yield client


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
async def test_a_missing_or_wrong_token_is_401_and_writes_nothing(
    guarded: httpx.AsyncClient, session: AsyncSession, header: str | None
) -> None:
    before = await job_count(session)
    headers = {"Authorization": header} if header else {}
    for method, path in (("POST", "/jobs"), ("POST", "/jobs/batch"), ("GET", "/docs")):
        response = await guarded.request(method, path, json={"jobs": [JOB]}, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await job_count(session) == before


async def test_the_token_opens_every_route_and_health_needs_none(
    guarded: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await job_count(session)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    accepted = await guarded.post("/jobs", json=JOB, headers=auth)
    assert accepted.status_code == 202, accepted.text
    row = await guarded.get(f"/jobs/{accepted.json()['id']}", headers=auth)
    assert row.status_code == 200 and row.json()["status"] == "queued"
    assert await job_count(session) == before + 1
    assert (await guarded.get("/health")).status_code == 200  # probes carry no token


def test_an_exposed_api_without_a_token_refuses_to_start() -> None:
    env = {**os.environ, "API_BIND": "0.0.0.0"}
    env.pop("API_TOKEN", None)
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "18033"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: bad settings:") and "set API_TOKEN" in last, done.stderr

"""Flower lists the tasks the Celery worker executed (task events are on)."""

import sys
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tests.helpers import processes
from tests.helpers.workers import eventually, wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues")
FLOWER = "http://127.0.0.1:15555"
AUTH = ("tester", "flower-test-only")  # Flower 2 serves its API only behind auth


async def test_flower_lists_executed_tasks(
    client: httpx.AsyncClient,
    http: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    flower = [sys.executable, "-m", "celery", "-A", "workers_celery", "flower"]
    flower += ["--address=127.0.0.1", "--port=15555", f"--basic-auth={AUTH[0]}:{AUTH[1]}"]
    with processes.running(flower, processes.ROOT) as proc:
        processes.wait_http_ok(f"{FLOWER}/healthcheck", proc)
        assert (await http.get(f"{FLOWER}/api/tasks")).status_code == 401
        async with worker(settings, "celery", events=True):
            body = {"jobs": [{"backend": "celery", "task": "sales_report"}] * 3}
            response = await client.post("/jobs/batch", json=body)
            ids = [UUID(i) for i in response.json()["ids"]]
            await wait_finished(sessionmaker, ids)

            async def listed() -> bool:
                tasks = (await http.get(f"{FLOWER}/api/tasks", auth=AUTH)).json()
                return all(tasks.get(str(i), {}).get("state") == "SUCCESS" for i in ids)

            await eventually(listed, 60, "Flower to list the three tasks as SUCCESS", proc)
        tasks = (await http.get(f"{FLOWER}/api/tasks", auth=AUTH)).json()
    assert {tasks[str(i)]["name"] for i in ids} == {"sales_report"}

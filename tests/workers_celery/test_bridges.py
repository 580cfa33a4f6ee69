"""The Celery loop bridges (the recommended one and the variants we only measure),
each running price_order end to end, and the exact ways the classic (`naive`) bridge
misbehaves."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.spec.variants import VARIANTS
from core.contract import FINISHED
from core.models import Job
from core.settings import Settings
from core.topology import DeadLetters
from tests.helpers import amqp, api
from tests.helpers.processes import logged
from tests.helpers.workers import eventually, wait_finished, worker

CELERY_APPS = {v.name: v.app for v in VARIANTS if v.prefork}

pytestmark = pytest.mark.usefixtures("empty_queues")
ORDER = {"items": [{"sku": "R", "qty": 4}], "prices": {"R": "2.50"}}


async def post_orders(client: httpx.AsyncClient, n: int) -> list[UUID]:
    job = {"backend": "celery", "task": "price_order", "payload": ORDER}
    body = {"jobs": [job] * n}
    response = await client.post("/jobs/batch", json=body)
    assert response.status_code == 202, response.text
    return [UUID(i) for i in response.json()["ids"]]


@pytest.mark.parametrize("app", CELERY_APPS.values())
async def test_each_bridge_runs_price_order(
    app: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, "celery", app=app):
        jobs = await wait_finished(sessionmaker, await post_orders(client, 6))
    assert [(j.status, j.attempts) for j in jobs] == [("done", 1)] * 6
    assert {j.result["total"] for j in jobs if j.result} == {"10.72"}


@pytest.mark.parametrize("pool", ["threads", "gevent"])
async def test_naive_bridge_breaks_on_a_pool_of_many_tasks(
    pool: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """One module-level loop shared by threads (greenlets: gevent#2026, celery#7465): the
    second concurrent task finds it running and raises before the job starts. Celery
    rejects the failed task, RabbitMQ dead-letters it, and the recovery marks the job
    failed: not left `queued`."""
    dead = DeadLetters.of(settings.celery_queue)
    await amqp.purge(settings, dead.kept, dead.recovery)
    with tempfile.TemporaryFile() as log:
        naive, slow = CELERY_APPS["celery-naive"], {"TEST_HOLD_MS": "300"}
        async with (
            api.running(settings) as (app, client),
            worker(settings, "celery", n=4, pool=pool, app=naive, env=slow, log=log),
        ):
            ids = await post_orders(client, 8)

            async def broke() -> bool:
                return b"RuntimeError: This event loop is already running" in logged(log)

            await eventually(broke, 60, f"the naive bridge to fail on the {pool} pool")

            async def all_finished() -> bool:
                await app.state.services.recovery.once()
                async with sessionmaker() as s:
                    rows = await s.scalars(select(Job.status).where(Job.id.in_(ids)))
                    return all(status in FINISHED for status in rows)

            await eventually(all_finished, 120, "every job to end done or failed")
            jobs = await wait_finished(sessionmaker, ids)
    failed = [j for j in jobs if j.status == "failed"]
    assert failed and all(j.error and j.error.startswith("dead-lettered") for j in failed)
    await amqp.purge(settings, dead.kept, dead.recovery)


LOOP_AT_IMPORT = "import asyncio; asyncio.get_event_loop()"
NO_LOOP = "There is no current event loop"


def run_python(exe: str) -> subprocess.CompletedProcess[str]:
    cmd = [exe, "-W", "error", "-c", LOOP_AT_IMPORT]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def test_naive_module_loop_on_this_python() -> None:
    """`asyncio.get_event_loop()` at import, as the naive bridge does it."""
    run = run_python(sys.executable)
    if sys.version_info < (3, 12):
        assert run.returncode == 0, run.stderr  # silent up to 3.11
    elif sys.version_info < (3, 14):
        assert f"DeprecationWarning: {NO_LOOP}" in run.stderr
    else:
        assert f"RuntimeError: {NO_LOOP}" in run.stderr


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_naive_module_loop_on_newer_python(version: str) -> None:
    """Where a newer interpreter is installed, pin the warning there too."""
    pyenv = os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")
    candidates = [shutil.which(f"python{version}"), *sorted(glob.glob(pyenv))]
    for exe in filter(None, candidates):
        if subprocess.run([exe, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            break
    else:
        pytest.skip(f"python{version} is not installed here")
    run = run_python(exe)
    assert run.returncode != 0 and f"DeprecationWarning: {NO_LOOP}" in run.stderr, run.stderr

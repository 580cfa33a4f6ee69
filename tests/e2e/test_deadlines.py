"""Deadlines, the same rules for both backends (and Celery's threads pool): a job blocked on
a lock past its deadline has every attempt cut there, its slot freed for other jobs, and
its row failed with the reason once the attempts run out; a bad deadline stops a worker at
start, in one line."""

import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.run import commands
from bench.spec.variants import BY_NAME
from core.settings import Settings
from tests.helpers.api import post_job
from tests.helpers.processes import ROOT
from tests.helpers.workers import wait_finished, wait_running, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "stub", "clean_db")
DEADLINE_S = 1.0
SHORT = {"JOB_DEADLINES_S": f'{{"price_order": {DEADLINE_S}}}', "RETRY_MAX_ATTEMPTS": "2"}
ORDER = {"items": [{"sku": "H", "qty": 1}], "prices": {"H": "2.00"}}


@pytest.mark.parametrize(
    ("backend", "pool"),
    [("celery", None), ("celery", "threads"), ("celery", "gevent"), ("taskiq", None)],
)
async def test_a_job_blocked_past_its_deadline_is_cut_and_fails_with_the_reason(
    backend: str,
    pool: str | None,
    client: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with (
        worker(settings, backend, n=1, pool=pool, env=SHORT) as proc,
        engine.connect() as lock,  # what holds the job: its table, locked
    ):
        await lock.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
        hung = await post_job(client, backend, "price_order", payload=ORDER)
        await wait_running(sessionmaker, hung, proc)
        started = time.monotonic()
        # One slot (a prefork child, a thread, a greenlet): the next job runs once the deadline
        # frees it.
        other = await post_job(client, backend, "fetch_rates", payload={"latency_ms": 0})
        [flowed] = await wait_finished(sessionmaker, [other], limit_s=30)
        [cut] = await wait_finished(sessionmaker, [hung], limit_s=30)
        took = time.monotonic() - started
        await lock.rollback()
    assert flowed.status == "done"
    assert (cut.status, cut.attempts) == ("failed", 2)
    assert cut.error is not None and "after 2 attempts: deadline exceeded" in cut.error
    assert cut.started_at and cut.finished_at
    last_attempt = (cut.finished_at - cut.started_at).total_seconds()
    assert DEADLINE_S <= last_attempt < DEADLINE_S + 1.0  # cut at the deadline, not later
    assert took < 2 * DEADLINE_S + 3  # two attempts and a backoff, not a hang


@pytest.mark.parametrize("variant", ["celery", "taskiq"])
def test_a_deadline_that_is_not_positive_stops_the_worker_in_one_line(
    variant: str, settings: Settings
) -> None:
    env = {**os.environ, "JOB_DEADLINES_S": '{"price_order": 0}'}
    cmd = commands.worker(BY_NAME[variant], 1, 1)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    # Celery exits 1; Taskiq's manager is stopped by its worker process (status 0).
    said = {line for line in done.stderr.splitlines() if line.startswith("error:")}
    assert said == {
        "error: bad settings: JOB_DEADLINES_S must be positive seconds, not {'price_order': 0.0}"
    }, done.stderr[-2000:]  # one line, and no traceback
    assert "Traceback" not in done.stderr


def test_a_delivery_longer_than_the_consumer_timeout_is_refused_in_one_line() -> None:
    env = {**os.environ, "BROKER_CONSUMER_TIMEOUT_S": "60"}
    code = "from core.settings import get_settings; get_settings()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "not under BROKER_CONSUMER_TIMEOUT_S (60 s)" in done.stderr

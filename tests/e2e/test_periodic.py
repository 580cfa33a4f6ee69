"""Periodic jobs from the real schedulers (celery beat, the Taskiq scheduler), two at once
as if started by mistake, one of them restarted: one job per schedule window, every one
done, the second scheduler's ticks counted as duplicate deliveries."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from subprocess import Popen

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import FINISHED
from core.models import Job
from core.settings import Settings
from tests.helpers import processes
from tests.helpers.workers import eventually, worker

pytestmark = [pytest.mark.usefixtures("empty_queues", "clean_db", "stub"), pytest.mark.timeout(400)]
EVERY_S = 2
ENV = {"PERIODIC_S": f'{{"sales_report": {EVERY_S}}}'}
SCHEDULER = {
    "celery": ["-m", "workers_celery", "beat"],
    "taskiq": ["-m", "workers_taskiq", "scheduler"],
}


@contextmanager
def scheduler(backend: str) -> Iterator[Popen[bytes]]:
    cmd = [sys.executable, *SCHEDULER[backend]]
    with processes.running(cmd, processes.ROOT, ENV) as proc:
        yield proc


async def ticks(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    """Jobs made by ticks, those finished, and the ticks that found their window taken."""
    async with sessionmaker() as s:
        jobs, finished, duplicates = (
            await s.execute(
                select(
                    func.count(),
                    func.count().filter(Job.status.in_(FINISHED)),
                    func.coalesce(func.sum(Job.duplicate_deliveries), 0),
                ).where(Job.tick_key.is_not(None))
            )
        ).one()
    return int(jobs), int(finished), int(duplicates)


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_two_schedulers_make_one_job_per_window(
    backend: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def at_least(jobs: int, duplicates: int) -> bool:
        _, finished, dup = await ticks(sessionmaker)
        return finished >= jobs and dup >= duplicates

    async with worker(settings, backend, env=ENV) as proc:
        with scheduler(backend):
            with scheduler(backend):
                await eventually(lambda: at_least(3, 1), 90, "ticks from two schedulers", proc)
            with scheduler(backend):  # the second one restarted
                await eventually(lambda: at_least(7, 3), 90, "ticks after the restart", proc)
        made, _, _ = await ticks(sessionmaker)
        await eventually(lambda: at_least(made, 0), 60, "every tick's job to finish", proc)

    async with sessionmaker() as s:
        rows = (await s.execute(select(Job).where(Job.tick_key.is_not(None)))).scalars().all()
    assert {(j.backend, j.task, j.status) for j in rows} == {(backend, "sales_report", "done")}
    windows = sorted(int(j.tick_key.rsplit("@", 1)[1]) for j in rows if j.tick_key)
    spanned = (windows[-1] - windows[0]) // EVERY_S + 1
    ticked = len(rows) + sum(j.duplicate_deliveries for j in rows)
    print(f"{backend}: {len(rows)} jobs in {spanned} windows from {ticked} ticks")
    # Nearly every window between the first and the last has its job (a scheduler's tick may
    # cross a window's edge now and then), and not one more.
    assert spanned - 2 <= len(rows) <= spanned
    assert ticked >= len(rows) + 3, "the second scheduler's ticks never arrived"
    for job in rows:  # each window's job ran once, no earlier than its tick
        assert job.attempts == 1, job.tick_key
        assert job.run_at is not None and job.first_started_at is not None
        assert job.first_started_at >= job.run_at

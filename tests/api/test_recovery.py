"""Nothing waits forever: a row an API process left `publishing` (killed between
commit and publish) is published again by the recovery and runs, once."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import Backend, JobStatus
from core.models import Job
from core.settings import Settings
from tests.helpers import amqp, api
from tests.helpers.workers import wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues")


async def left_publishing(session: AsyncSession, backend: Backend, age_s: float) -> Job:
    """The row an API killed after its commit leaves: no message behind it."""
    job = Job(
        id=uuid4(),
        backend=backend.value,
        task="sales_report",
        status=JobStatus.publishing,
        attempts=0,
        payload={"window_minutes": 60, "top": 5},
        enqueued_at=await session.scalar(select(func.clock_timestamp() - timedelta(seconds=age_s))),
    )
    session.add(job)
    await session.commit()
    return job


@pytest.mark.parametrize("backend", list(Backend))
async def test_a_row_left_publishing_is_published_again_and_runs_once(
    backend: Backend,
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stale = await left_publishing(session, backend, age_s=settings.outbox_grace_s + 5)
    fresh = await left_publishing(session, backend, age_s=1)  # a live API may be on it
    queue = settings.queue_for(backend)
    async with api.running(settings) as (app, _):
        swept = await app.state.services.recovery.once()
        assert (swept.republished, swept.errors) == (1, [])
        assert await amqp.depth(settings, queue) == 1
        async with worker(settings, backend):
            [job] = await wait_finished(sessionmaker, [stale.id])
    assert (job.status, job.attempts, job.publishes, job.duplicate_deliveries) == ("done", 1, 2, 0)
    await session.refresh(fresh)
    assert (fresh.status, fresh.publishes) == (JobStatus.publishing, 1)
    await session.delete(fresh)  # or it turns stale under later tests' recovery passes
    await session.commit()


async def left_running(session: AsyncSession, task: str, started_s_ago: float) -> Job:
    """A row whose worker died mid-job and whose message nothing delivered again."""
    ago = await session.scalar(select(func.clock_timestamp() - timedelta(seconds=started_s_ago)))
    job = Job(id=uuid4(), backend="taskiq", task=task, status=JobStatus.running, attempts=1,
              payload={}, first_started_at=ago, started_at=ago)  # fmt: skip
    session.add(job)
    await session.commit()
    return job


async def test_a_row_running_past_its_deadline_and_grace_is_settled_failed(
    settings: Settings, session: AsyncSession
) -> None:
    deadline = settings.deadline_for("price_order")
    overdue = await left_running(session, "price_order", deadline + settings.running_grace_s + 5)
    # Within its deadline + grace a delivery may still be working on it: left alone.
    alive = await left_running(session, "price_order", deadline + settings.running_grace_s - 20)
    async with api.running(settings) as (app, _):
        swept = await app.state.services.recovery.once()
    assert (swept.overdue, swept.errors) == (1, [])
    await session.refresh(overdue)
    await session.refresh(alive)
    assert overdue.status == JobStatus.failed and overdue.finished_at is not None
    assert overdue.error is not None and "settled by the recovery" in overdue.error
    assert alive.status == JobStatus.running
    await session.delete(alive)
    await session.commit()


async def test_a_chain_whose_first_publish_failed_is_stopped(
    settings: Settings, session: AsyncSession
) -> None:
    """The head's row says failed (503); its waiting steps are cancelled by the recovery."""
    down = settings.model_copy(
        update={"amqp_url": "amqp://guest:guest@127.0.0.1:1/", "publish_timeout_s": 2.0}
    )
    body = {"backend": "taskiq", "task": "price_order", "then": [{"task": "sales_report"}] * 2}
    async with api.running(down) as (app, client):
        response = await client.post("/jobs", json=body)
        assert response.status_code == 503, response.text
        [failed] = response.json()["detail"]["failed"]
        head = UUID(failed)
        steps = (await session.scalars(select(Job).where(Job.chain_id == head))).all()
        assert sorted((j.chain_step, j.status) for j in steps) == [
            (0, "failed"), (1, "waiting"), (2, "waiting"),
        ]  # fmt: skip
        await app.state.services.recovery.once()
    session.expire_all()
    steps = (await session.scalars(select(Job).where(Job.chain_id == head))).all()
    assert sorted((j.chain_step, j.status) for j in steps) == [
        (0, "failed"), (1, "cancelled"), (2, "cancelled"),
    ]  # fmt: skip
    assert all(f"step 0 (job {head}) failed" in (j.error or "") for j in steps if j.chain_step)

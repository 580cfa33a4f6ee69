"""Poison messages put straight on each backend's queue: the worker stays up and
keeps working, nothing loops, and what each library does with them is pinned."""

import tempfile
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.run.faults.broker import poison_messages
from core.contract import Backend
from core.settings import Settings
from core.topology import DeadLetters
from tests.helpers import amqp
from tests.helpers.processes import logged
from tests.helpers.workers import eventually, wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues")
# What each library logs when it drops a message it cannot parse (acked, not dead-lettered).
DROPPED = {"celery": b"Can't decode message body", "taskiq": b"Cannot parse message"}
UNKNOWN = {
    "celery": b"Received unregistered task of type 'no_such_task'",
    "taskiq": b"no_such_task",
}


@pytest.mark.parametrize("backend", list(Backend))
async def test_poison_messages_do_not_stop_the_worker(
    backend: Backend,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    queue = settings.queue_for(backend)
    dead_letter = DeadLetters.of(queue).kept
    await amqp.purge(settings, dead_letter)
    with tempfile.TemporaryFile() as log:
        async with worker(settings, backend, log=log) as proc:
            poison_messages(settings, backend)

            async def both_seen() -> bool:
                out = logged(log)
                return DROPPED[backend] in out and UNKNOWN[backend] in out

            what = f"{backend} to log both poison messages"
            try:
                await eventually(both_seen, 60, what, proc)
            except AssertionError as exc:
                tail = logged(log)[-4000:]
                raise AssertionError(f"{exc}; the worker logged:\n{tail!r}") from None
            # Still working: a real job posted after the poison ends done.
            response = await client.post("/jobs", json={"backend": backend, "task": "sales_report"})
            [job] = await wait_finished(sessionmaker, [UUID(response.json()["id"])])
            assert job.status == "done"
            assert proc.poll() is None
            assert await amqp.depth(settings, queue) == 0  # nothing redelivered in a loop
    # Celery rejects the unknown task into our dead-letter queue; Taskiq acks and drops it.
    assert await amqp.depth(settings, dead_letter) == (1 if backend == "celery" else 0)
    await amqp.purge(settings, dead_letter)

"""Publish job messages to either backend by task name, never importing a worker.

A message is the task name and the job id (the row holds the rest). Celery:
`send_task` (Celery's own protocol); its publish is blocking kombu I/O, so it runs
in a worker thread, off the event loop. Taskiq: `AsyncKicker` on an AioPikaBroker
with publisher confirms. Both report which jobs did not go out.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import anyio
from taskiq.kicker import AsyncKicker
from taskiq_aio_pika import AioPikaBroker

from core.brokers import make_celery
from core.contract import Backend, message_kwargs
from core.settings import Settings
from core.taskiq_broker import taskiq_broker_kwargs

log = logging.getLogger(__name__)
CELERY_CHUNK = 4  # messages per publishing thread
CELERY_THREADS = 8  # <= the producer pool (broker_pool_limit, 10)


@dataclass(frozen=True)
class Outgoing:
    job_id: UUID
    task: str


def reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"publish failed: {type(exc).__name__}: {text}"[:500]


class Publisher(Protocol):
    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        """Publish in order; return {job_id: reason} for jobs that did not go out."""
        ...

    async def close(self) -> None: ...


class CeleryPublisher:
    def __init__(self, settings: Settings, in_thread: bool = True) -> None:
        self.app = make_celery(settings, main="api")
        self.queue = settings.queue_for(Backend.celery)
        self.timeout = settings.publish_timeout_s
        self.in_thread = in_thread  # False only in api/variants/celery_on_loop.py
        self.threads = anyio.CapacityLimiter(CELERY_THREADS)

    def _send_all(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        with self.app.producer_or_acquire() as producer:
            for n, job in enumerate(jobs):
                try:
                    self.app.send_task(
                        job.task,
                        kwargs=message_kwargs(job.job_id),
                        task_id=str(job.job_id),
                        queue=self.queue,
                        producer=producer,
                    )
                except Exception as exc:  # the connection is gone: the rest fail too
                    return {j.job_id: reason(exc) for j in jobs[n:]}
        return {}

    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        if not self.in_thread:  # blocks the event loop: the mistake, measured
            try:
                return self._send_all(jobs)
            except Exception as exc:
                return {j.job_id: reason(exc) for j in jobs}
        # Each publish waits for its confirm on a blocking socket: chunks on several
        # threads (each with its own pooled producer) wait side by side.
        chunks = [jobs[n : n + CELERY_CHUNK] for n in range(0, len(jobs), CELERY_CHUNK)]
        results = await asyncio.gather(*(self._send_in_thread(c) for c in chunks))
        return {k: v for failed in results for k, v in failed.items()}

    async def _send_in_thread(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        try:
            with anyio.fail_after(self.timeout * 2):
                return await anyio.to_thread.run_sync(self._send_all, jobs, limiter=self.threads)
        except Exception as exc:  # timeout or failure to get a connection
            return {j.job_id: reason(exc) for j in jobs}

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.app.close)


class TaskiqPublisher:
    def __init__(self, settings: Settings) -> None:
        self.broker = AioPikaBroker(**taskiq_broker_kwargs(settings))
        self.timeout = settings.publish_timeout_s
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect once; if RabbitMQ is down the API still starts and retries later."""
        async with self._lock:
            if not self._started:
                with anyio.fail_after(self.timeout):
                    await self.broker.startup()
                self._started = True

    async def _kick(self, job: Outgoing) -> None:
        kicker: AsyncKicker[Any, Any] = AsyncKicker(job.task, self.broker, {})
        with anyio.fail_after(self.timeout):
            await kicker.with_task_id(str(job.job_id)).kiq(**message_kwargs(job.job_id))

    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        try:
            await self.start()
        except Exception as exc:
            return {j.job_id: reason(exc) for j in jobs}
        failed: dict[UUID, str] = {}
        for start in range(0, len(jobs), 100):  # bounded in-flight confirms
            chunk = jobs[start : start + 100]
            results = await asyncio.gather(*(self._kick(j) for j in chunk), return_exceptions=True)
            failed.update(
                {j.job_id: reason(r) for j, r in zip(chunk, results, strict=True) if r is not None}
            )
        return failed

    async def close(self) -> None:
        if self._started:
            await self.broker.shutdown()


def make_publishers(settings: Settings) -> dict[Backend, Publisher]:
    return {Backend.celery: CeleryPublisher(settings), Backend.taskiq: TaskiqPublisher(settings)}

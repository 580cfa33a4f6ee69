"""Celery's own `send_task` (what `delay()` calls) as the API's Celery publisher, for
the variants we measure. kombu's publish is blocking socket I/O that waits for
RabbitMQ's confirm of each message in turn: in a worker thread it is correct but costs
CPU (thread hand-offs, one round trip per message); on the event loop it stalls every
other request. api/publishers/celery.py sends the same message through aio-pika instead.
"""

import asyncio
from collections.abc import Sequence
from uuid import UUID

import anyio
from celery import Celery

from api.publishers import Outgoing, Publisher, reason
from api.publishers.by_backend import PublishersFor
from api.publishers.taskiq import TaskiqPublisher
from core.contract import Backend, message_kwargs
from core.settings import Settings
from workers_celery.app import celery_config

CHUNK = 4  # messages per publishing thread: chunks wait for their confirms side by side
THREADS = 8  # <= the producer pool (broker_pool_limit, 10)


class SendTaskPublisher:
    def __init__(self, settings: Settings, in_thread: bool) -> None:
        self.app = Celery("api")
        self.app.conf.update(celery_config(settings))
        # Wait for RabbitMQ's confirm of each message, as the aio-pika publishers do.
        self.app.conf.broker_transport_options = {"confirm_publish": True}
        self.queue = settings.queue_for(Backend.celery)
        self.timeout = settings.publish_timeout_s
        self.in_thread = in_thread
        self.threads = anyio.CapacityLimiter(THREADS)

    async def start(self) -> None:
        """kombu connects on the first publish."""

    def blocked(self) -> bool:
        return False  # kombu's connection.blocked is not tracked: this variant waits it out

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
        chunks = [jobs[n : n + CHUNK] for n in range(0, len(jobs), CHUNK)]
        results = await asyncio.gather(*(self._send_in_thread(c) for c in chunks))
        return {k: v for failed in results for k, v in failed.items()}

    async def _send_in_thread(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        try:
            with anyio.fail_after(self.timeout * 2):
                return await anyio.to_thread.run_sync(self._send_all, jobs, limiter=self.threads)
        except Exception as exc:  # timeout or failure to get a connection
            return {j.job_id: reason(exc) for j in jobs}

    def _close(self) -> None:
        # app.close() only forgets its pool: close the pooled connections themselves.
        self.app.amqp.producer_pool.force_close_all()  # type: ignore[attr-defined]  # stubs lag
        self.app.pool.force_close_all()  # type: ignore[attr-defined]
        self.app.close()

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._close)


def send_task_publishers(in_thread: bool) -> PublishersFor:
    def publishers_for(settings: Settings) -> dict[Backend, Publisher]:
        return {
            Backend.celery: SendTaskPublisher(settings, in_thread),
            Backend.taskiq: TaskiqPublisher(settings),
        }

    return publishers_for

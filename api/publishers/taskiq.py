"""Taskiq's message: `AsyncKicker` by task name on an AioPikaBroker configured as the
worker's (core/taskiq_broker.py), so the API never imports a task."""

from typing import Any

import aio_pika
from taskiq.kicker import AsyncKicker
from taskiq_aio_pika import AioPikaBroker

from api.publishers import RECONNECT_S, Connected, Outgoing
from core.contract import MESSAGE_PRIORITY, Priority, message_kwargs
from core.settings import Settings
from core.taskiq_broker import taskiq_broker_kwargs


class TaskiqPublisher(Connected):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        kwargs = taskiq_broker_kwargs(settings)
        self.broker = AioPikaBroker(**kwargs, reconnect_interval=RECONNECT_S)

    async def connect(self) -> None:
        await self.broker.startup()

    def connection(self) -> aio_pika.abc.AbstractConnection | None:
        return self.broker.write_conn

    async def send(self, job: Outgoing) -> None:
        labels: dict[str, Any] = {}
        if (delay := job.delay_s()) > 0:
            labels["delay"] = delay  # to the delay queue (core/taskiq_broker.py)
        if job.priority is Priority.high:
            labels["priority"] = MESSAGE_PRIORITY[job.priority]
        kicker: AsyncKicker[Any, Any] = AsyncKicker(job.task, self.broker, labels)
        await kicker.with_task_id(str(job.job_id)).kiq(**message_kwargs(job.job_id))

    async def close(self) -> None:
        await self.stop_probe()
        if self._started:
            await self.broker.shutdown()

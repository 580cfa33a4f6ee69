"""Settle each message the way its task ended, as Celery does with late acks:
ack when handled, hand back (nack, requeue) when the database was down, reject
(dead-letter) when the task raised.

taskiq-aio-pika only ever acks (`--ack-type when_executed` acks even after an
error), and Taskiq's own retry middlewares re-publish a copy and ack the original,
then drop the message when their count runs out. A hand-back keeps the one message
in RabbitMQ, whose quorum delivery limit bounds the returns and dead-letters it.
"""

import logging
from collections.abc import AsyncGenerator
from enum import Enum
from functools import partial
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from taskiq import AckableMessage, TaskiqMessage, TaskiqMiddleware, TaskiqResult
from taskiq_aio_pika import AioPikaBroker

from core.lifecycle import DatabaseUnavailable

log = logging.getLogger(__name__)


class Verdict(Enum):
    hand_back = "hand back"
    reject = "reject"


class HandBackBroker(AioPikaBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # task id -> how to settle its message; set by HandBackMiddleware on error.
        self.verdicts: dict[str, Verdict] = {}

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async for message in super().listen():
            incoming = getattr(message.ack, "__self__", None)  # taskiq passes message.ack
            if not isinstance(incoming, AbstractIncomingMessage):
                raise TypeError("taskiq-aio-pika changed: its ack is not the message's own")
            yield AckableMessage(data=message.data, ack=partial(self.settle, incoming))

    async def settle(self, incoming: AbstractIncomingMessage) -> None:
        task_id = str((incoming.headers or {}).get("task_id", ""))
        verdict = self.verdicts.pop(task_id, None)
        if verdict is Verdict.hand_back:
            await incoming.nack(requeue=True)
        elif verdict is Verdict.reject:
            await incoming.reject(requeue=False)
        else:
            await incoming.ack()


class HandBackMiddleware(TaskiqMiddleware):
    async def on_error(
        self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException
    ) -> None:
        assert isinstance(self.broker, HandBackBroker)
        if isinstance(exception, DatabaseUnavailable):
            log.warning("job %s: database unavailable; handing the message back", message.task_id)
            self.broker.verdicts[message.task_id] = Verdict.hand_back
        else:
            self.broker.verdicts[message.task_id] = Verdict.reject

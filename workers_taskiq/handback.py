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
from contextvars import ContextVar
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


# How to settle the delivery being handled, set by HandBackMiddleware on error. Taskiq runs
# each delivery (parse, task, middlewares, ack) in an asyncio task of its own, so this is
# per delivery: two deliveries of one job in flight at once cannot take each other's.
VERDICT: ContextVar[Verdict | None] = ContextVar("handback_verdict", default=None)


class HandBackBroker(AioPikaBroker):
    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async for message in super().listen():
            incoming = getattr(message.ack, "__self__", None)  # taskiq passes message.ack
            if not isinstance(incoming, AbstractIncomingMessage):
                raise TypeError("taskiq-aio-pika changed: its ack is not the message's own")
            yield AckableMessage(data=message.data, ack=partial(self.settle, incoming))

    async def settle(self, incoming: AbstractIncomingMessage) -> None:
        verdict = VERDICT.get()
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
        if isinstance(exception, DatabaseUnavailable):
            log.warning("job %s: database unavailable; handing the message back", message.task_id)
            VERDICT.set(Verdict.hand_back)
        else:
            VERDICT.set(Verdict.reject)

"""The broker topology both backends share, as plain names and arguments, and the
declaration of its dead letters with aio-pika (the API and both workers call it).

No queue library of either backend is imported here: the Celery app lives in
workers_celery/app.py, Taskiq's broker in workers_taskiq/broker.py.

Both backends get the same RabbitMQ, quorum queues with the same delivery limit and
dead-letter topology (the fairness rules). Dead letters: a message returned to its queue
more than DELIVERY_LIMIT times (worker crashes, hand-backs while the database is down) or
rejected by a worker goes to the fanout exchange `<queue>.dead_letter`, which copies it into
two queues: `<queue>.dead_letter`, kept for operators until they purge it, and
`<queue>.dead_letter.recovery`, which the API's recovery reads to mark the job failed.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aio_pika

from core.contract import Backend
from core.settings import Settings

QUORUM: dict[str, Any] = {"x-queue-type": "quorum"}


@dataclass(frozen=True)
class DeadLetters:
    exchange: str
    kept: str  # for operators
    recovery: str  # read by the API's recovery

    @classmethod
    def of(cls, queue: str) -> "DeadLetters":
        return cls(f"{queue}.dead_letter", f"{queue}.dead_letter", f"{queue}.dead_letter.recovery")


def celery_exchange(queue: str) -> str:
    """Celery's exchange for `queue`: a topic exchange, which native delayed delivery (Celery
    5.5+ on quorum queues) routes to; it cannot route to a direct one. Named apart from the
    direct exchange `<queue>` of earlier versions: RabbitMQ refuses to redeclare an exchange
    with another type (406), so an existing broker needs no migration step."""
    return f"{queue}.topic"


def delay_queue(queue: str) -> str:
    """Taskiq's delay queue for `queue` (core/taskiq_broker.py). Celery's delay levels
    (celery_delayed_0..27) are shared by every Celery queue on the broker."""
    return f"{queue}.delay"


def all_queues(settings: Settings) -> list[str]:
    """Both backends' queues with their dead-letter queues, and Taskiq's delay queue."""
    names = [delay_queue(settings.queue_for(Backend.taskiq))]
    for backend in Backend:
        queue = settings.queue_for(backend)
        dead = DeadLetters.of(queue)
        names += [queue, dead.kept, dead.recovery]
    return names


def queue_arguments(settings: Settings, queue: str) -> dict[str, Any]:
    """A job queue's arguments: quorum, the delivery limit, its dead-letter exchange."""
    return {
        **QUORUM,
        "x-delivery-limit": settings.delivery_limit,
        "x-dead-letter-exchange": DeadLetters.of(queue).exchange,
    }


async def declare_dead_letters(settings: Settings, *queues: str) -> None:
    """Declare each queue's dead-letter exchange and its two queues (idempotent). Call it
    before a job queue is consumed: RabbitMQ drops dead letters with nowhere to go."""
    timeout = settings.publish_timeout_s
    connection = await aio_pika.connect(settings.amqp_connect_url, timeout=timeout)
    async with connection, connection.channel() as channel:
        for queue in queues:
            names = DeadLetters.of(queue)
            exchange = await channel.declare_exchange(
                names.exchange, aio_pika.ExchangeType.FANOUT, durable=True, timeout=timeout
            )
            for name in (names.kept, names.recovery):
                declared = await channel.declare_queue(
                    name, durable=True, arguments=dict(QUORUM), timeout=timeout
                )
                await declared.bind(exchange, routing_key="", timeout=timeout)


def job_id_of(headers: dict[str, Any]) -> UUID | None:
    """The job a message (of either backend) is for: both carry the job id as the
    task id header (Celery protocol 2 `id`, Taskiq `task_id`)."""
    for key in ("id", "task_id"):
        value = headers.get(key)
        if isinstance(value, str):
            try:
                return UUID(value)
            except ValueError:
                return None
    return None

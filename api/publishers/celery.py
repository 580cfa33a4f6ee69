"""Celery's message, published through aio-pika: the task message Celery itself builds
(`app.amqp.create_task_message`, protocol 2, serialized by kombu), sent where `send_task`
would send it. `send_task` itself is blocking kombu I/O with one confirm round trip per
message; the benchmark measures it in a thread and on the loop (bench_service/api_variants).

A delayed job goes where `apply_async(eta=...)` sends it on quorum queues (Celery 5.5+'s
native delayed delivery): to the top delay level, its routing key the delay in seconds, in
binary, one bit per level (kombu's `calculate_routing_key`). The levels' queues hold it for
whole seconds; the worker holds what is left of the `eta` header.
"""

import asyncio

import aio_pika
from celery import Celery
from kombu import Connection, Exchange, Queue
from kombu.serialization import dumps
from kombu.transport.native_delayed_delivery import (
    bind_queue_to_native_delayed_delivery_exchange,
    calculate_routing_key,
    declare_native_delayed_delivery_exchanges_and_queues,
    level_name,
)

from api.publishers import RECONNECT_S, Connected, Outgoing
from core.contract import MESSAGE_PRIORITY, Backend, message_kwargs
from core.settings import Settings
from core.topology import celery_exchange, queue_arguments

TOP_LEVEL = level_name(27)  # where a delayed message enters the levels


def declare_delayed_delivery(url: str, queue: Queue, timeout_s: float) -> None:
    """The delay levels and their binding to `queue`'s exchange, as a Celery worker declares
    them at start (kombu's own functions: blocking, so run in a thread). A delayed job
    published before any worker started still finds its way."""
    with Connection(url, connect_timeout=timeout_s) as connection:
        declare_native_delayed_delivery_exchanges_and_queues(connection, "quorum")
        bind_queue_to_native_delayed_delivery_exchange(connection, queue)


def message_app() -> Celery:
    """A Celery app only to build messages: JSON, protocol 2, as the workers' app sends."""
    app = Celery("api", set_as_current=False)
    app.conf.update(task_serializer="json", accept_content=["json"], result_backend=None)
    return app


class CeleryPublisher(Connected):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.app = message_app()
        self.url = settings.amqp_connect_url
        self.queue = settings.queue_for(Backend.celery)
        self.arguments = queue_arguments(settings, self.queue)
        self.exchange_name = celery_exchange(self.queue)
        self.connection_: aio_pika.abc.AbstractRobustConnection | None = None
        self.exchange: aio_pika.abc.AbstractExchange | None = None
        self.delays: aio_pika.abc.AbstractExchange | None = None
        self.levels: asyncio.Future[None] | None = None  # the delay levels, declared once

    async def connect(self) -> None:
        connection = await aio_pika.connect_robust(
            self.url, timeout=self.timeout, reconnect_interval=RECONNECT_S
        )
        try:
            # A message RabbitMQ returns (no queue to route it to) raises: not queued.
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            # What `send_task` declares (task_queues in workers_celery/app.py), so a message
            # has its queue before any worker started.
            exchange = await channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(self.queue, durable=True, arguments=self.arguments)
            await queue.bind(exchange, self.queue)
            self.delays = await channel.get_exchange(TOP_LEVEL, ensure=False)
        except BaseException:
            await connection.close()  # or it keeps reconnecting in the background
            raise
        self.connection_, self.exchange = connection, channel.default_exchange

    def connection(self) -> aio_pika.abc.AbstractConnection | None:
        return self.connection_

    def message(self, job: Outgoing) -> aio_pika.Message:
        """Celery's message for `send_task(task, kwargs=..., task_id=job_id)`."""
        eta = job.run_at.isoformat() if job.run_at else None
        headers, properties, body, _ = self.app.amqp.create_task_message(
            str(job.job_id), job.task, (), message_kwargs(job.job_id),
            reply_to=self.app.thread_oid, ignore_result=None, eta=eta,
        )  # fmt: skip
        content_type, encoding, data = dumps(body, serializer="json")
        return aio_pika.Message(
            data.encode() if isinstance(data, str) else data,
            headers=headers,
            content_type=content_type,
            content_encoding=encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            priority=MESSAGE_PRIORITY[job.priority],
            correlation_id=properties["correlation_id"],
            reply_to=properties["reply_to"],
            # Celery sets none; aiormq needs one to tell which message RabbitMQ returned.
            message_id=str(job.job_id),
        )

    async def declared_levels(self) -> None:
        """The delay levels, declared by the first delayed publish (28 quorum queues: seconds
        on a cluster, which no API start and no plain job should wait for). A Celery worker
        declares them too, at its start."""
        if self.levels is None or (self.levels.done() and self.levels.exception()):
            queue = Queue(
                self.queue,
                Exchange(self.exchange_name, type="topic"),
                routing_key=self.queue,
                queue_arguments=self.arguments,
            )
            self.levels = asyncio.ensure_future(
                asyncio.to_thread(declare_delayed_delivery, self.url, queue, self.timeout)
            )
        await asyncio.shield(self.levels)  # a publish timing out leaves it running

    async def send(self, job: Outgoing) -> None:
        assert self.exchange is not None and self.delays is not None
        countdown = int(job.delay_s())  # whole seconds in RabbitMQ; the worker holds the rest
        if countdown >= 1:
            await self.declared_levels()
            key = calculate_routing_key(countdown, self.queue)
            await self.delays.publish(self.message(job), routing_key=key)
        else:  # straight to the queue, through the default exchange
            await self.exchange.publish(self.message(job), routing_key=self.queue)

    async def close(self) -> None:
        await self.stop_probe()
        if self.connection_ is not None:
            await self.connection_.close()

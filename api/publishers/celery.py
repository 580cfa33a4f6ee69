"""Celery's message, published through aio-pika: the task message Celery itself builds
(`app.amqp.create_task_message`, protocol 2, serialized by kombu), sent where `send_task`
would send it. `send_task` itself is blocking kombu I/O with one confirm round trip per
message; the benchmark measures it in a thread and on the loop (bench_service/api_variants).
"""

import aio_pika
from celery import Celery
from kombu.serialization import dumps

from api.publishers import RECONNECT_S, Connected, Outgoing
from core.contract import Backend, message_kwargs
from core.settings import Settings
from core.topology import queue_arguments


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
        self.connection_: aio_pika.abc.AbstractRobustConnection | None = None
        self.exchange: aio_pika.abc.AbstractExchange | None = None

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
                self.queue, aio_pika.ExchangeType.DIRECT, durable=True
            )
            queue = await channel.declare_queue(self.queue, durable=True, arguments=self.arguments)
            await queue.bind(exchange, self.queue)
        except BaseException:
            await connection.close()  # or it keeps reconnecting in the background
            raise
        self.connection_, self.exchange = connection, channel.default_exchange

    def connection(self) -> aio_pika.abc.AbstractConnection | None:
        return self.connection_

    def message(self, job: Outgoing) -> aio_pika.Message:
        """Celery's message for `send_task(task, kwargs=..., task_id=job_id)`."""
        headers, properties, body, _ = self.app.amqp.create_task_message(
            str(job.job_id), job.task, (), message_kwargs(job.job_id),
            reply_to=self.app.thread_oid, ignore_result=None,
        )  # fmt: skip
        content_type, encoding, data = dumps(body, serializer="json")
        return aio_pika.Message(
            data.encode() if isinstance(data, str) else data,
            headers=headers,
            content_type=content_type,
            content_encoding=encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            priority=0,
            correlation_id=properties["correlation_id"],
            reply_to=properties["reply_to"],
            # Celery sets none; aiormq needs one to tell which message RabbitMQ returned.
            message_id=str(job.job_id),
        )

    async def send(self, job: Outgoing) -> None:
        assert self.exchange is not None
        # Celery sends to a direct exchange's queue through the default exchange.
        await self.exchange.publish(self.message(job), routing_key=self.queue)

    async def close(self) -> None:
        await self.stop_probe()
        if self.connection_ is not None:
            await self.connection_.close()

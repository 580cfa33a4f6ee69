"""Look at RabbitMQ queues with a real AMQP client (no mocks)."""

import time
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import anyio
import psutil
from aiormq.exceptions import ChannelNotFoundEntity

from bench.run.probes import rabbit
from core.settings import Settings
from core.topology import DeadLetters


async def _counts(settings: Settings, queue: str) -> tuple[int, int]:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except ChannelNotFoundEntity:
            return 0, 0
        result = declared.declaration_result
        return int(result.message_count or 0), int(result.consumer_count or 0)


async def depth(settings: Settings, queue: str) -> int:
    """Ready messages in `queue` (0 if it does not exist)."""
    return (await _counts(settings, queue))[0]


async def consumers(settings: Settings, queue: str) -> int:
    return (await _counts(settings, queue))[1]


async def purge(settings: Settings, *queues: str) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        for name in queues:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
                await queue.purge()
            except ChannelNotFoundEntity:
                pass


async def delete(settings: Settings, *queues: str) -> None:
    """Delete queues with their dead-letter queues and exchanges."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            dead = DeadLetters.of(name)
            for queue in (name, dead.kept, dead.recovery):
                await channel.queue_delete(queue)
            await channel.exchange_delete(dead.exchange)


async def take(settings: Settings, queue: str) -> tuple[bytes, dict[str, Any]] | None:
    """Take one message off `queue` (acked: it is gone): its body and headers."""
    whole = await take_whole(settings, queue)
    return None if whole is None else (whole["body"], whole["headers"])


async def peek(settings: Settings, queue: str) -> dict[str, Any] | None:
    """The headers of the first message of `queue`, which is returned to it."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        message = await declared.get(no_ack=False, fail=False)
        if message is None:
            return None
        await message.nack(requeue=True)
        return dict(message.headers or {})


PROPERTIES = (
    "content_type", "content_encoding", "delivery_mode", "priority", "correlation_id",
    "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id",
)  # fmt: skip


async def take_whole(settings: Settings, queue: str) -> dict[str, Any] | None:
    """Take one message off `queue`: body, headers and every AMQP property."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        message = await declared.get(no_ack=True, fail=False)
        if message is None:
            return None
        whole = {name: getattr(message, name) for name in PROPERTIES}
        return {**whole, "body": message.body, "headers": dict(message.headers or {})}


def _own_connections(amqp_port: int) -> set[int]:
    """Local ports of this process's established connections to RabbitMQ."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections("tcp")
        if c.raddr and c.raddr.port == amqp_port and c.status == psutil.CONN_ESTABLISHED
    }


async def drop_connections(settings: Settings, timeout_s: float = 30) -> None:
    """Close every client connection at RabbitMQ and wait until this process's clients
    have seen theirs closed (they may have reconnected since, on new ports)."""
    port = urlsplit(settings.amqp_url).port or 5672
    before = _own_connections(port)
    assert before, "no connection to drop"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # Again until ours are gone: the management API lists a new connection only once
        # its first statistics are in (up to 5 s); rabbitmqctl closes them all at once.
        await anyio.to_thread.run_sync(rabbit.close_all_connections, settings, "test: drop")
        stop = min(deadline, time.monotonic() + 1.0)
        while time.monotonic() < stop:
            if not before & _own_connections(port):
                return
            await anyio.sleep(0.05)
    raise AssertionError(f"connections still open {timeout_s}s after close_all_connections")

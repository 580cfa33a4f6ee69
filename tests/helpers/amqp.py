"""Look at RabbitMQ queues with a real AMQP client (no mocks)."""

import aio_pika
from aiormq.exceptions import ChannelNotFoundEntity

from core.settings import Settings


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

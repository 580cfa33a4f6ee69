"""Look at RabbitMQ queues with a real AMQP client (no mocks)."""

import aio_pika
from aiormq.exceptions import ChannelNotFoundEntity

from core.settings import Settings


async def depth(settings: Settings, queue: str) -> int:
    """Ready messages in `queue` (0 if it does not exist)."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except ChannelNotFoundEntity:
            return 0
        count = declared.declaration_result.message_count
        return int(count or 0)


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

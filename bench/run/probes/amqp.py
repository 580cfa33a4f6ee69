"""The harness's look at RabbitMQ (kombu, blocking): queue depth and consumers,
purging between cells, and one message taken off a backlog to measure it."""

from contextlib import suppress
from typing import Any

from kombu import Connection

from core.settings import Settings
from core.topology import all_queues


def each_queue(settings: Settings, action: str) -> None:
    """Purge (or delete) every queue of both backends."""
    with Connection(settings.amqp_url, connect_timeout=5) as conn:
        for queue in all_queues(settings):
            channel = conn.channel()
            with suppress(Exception):  # not declared yet: nothing to do
                getattr(channel, f"queue_{action}")(queue)


def counts(amqp_url: str, queue: str) -> tuple[int, int]:
    """(ready messages, consumers) of a queue; (0, 0) if it does not exist."""
    with Connection(amqp_url, connect_timeout=5) as conn:
        try:
            _, depth, consumers = conn.channel().queue_declare(queue, passive=True)  # type: ignore[attr-defined]
        except Exception:
            return 0, 0
    return int(depth), int(consumers)


def peek_message(amqp_url: str, queue: str) -> dict[str, Any] | None:
    """The first message of a backlog as RabbitMQ holds it: its body size and text.
    Returned to the queue (its delivery count goes up by one)."""
    with Connection(amqp_url, connect_timeout=5) as conn:
        channel = conn.channel()
        message = channel.basic_get(queue, no_ack=False)  # type: ignore[attr-defined]
        if message is None:
            return None
        body = message.body if isinstance(message.body, bytes) else message.body.encode()
        channel.basic_reject(message.delivery_tag, requeue=True)  # type: ignore[attr-defined]
    return {"body_bytes": len(body), "body": body.decode(errors="replace")[:500]}

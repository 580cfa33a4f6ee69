"""The AioPikaBroker's arguments, the same for the API's publisher and the worker: the
queue, its quorum type, delivery limit and dead letters come from core/topology.py. Only
Taskiq's side imports this module (it needs taskiq-aio-pika)."""

from typing import Any

from taskiq_aio_pika import Exchange, Queue
from taskiq_aio_pika.queue import QueueType

from core.contract import Backend
from core.settings import Settings
from core.topology import DeadLetters, delay_queue, queue_arguments


def taskiq_broker_kwargs(settings: Settings) -> dict[str, Any]:
    """AioPikaBroker arguments, for the API's publisher and the worker's broker alike."""
    queue = settings.queue_for(Backend.taskiq)
    arguments = queue_arguments(settings, queue)
    del arguments["x-queue-type"]  # given as `type`
    return {
        "url": settings.amqp_connect_url,
        # Explicit: the default qos=10 would silently cap concurrency at 10.
        "qos": settings.prefetch,
        "exchange": Exchange(name=settings.taskiq_exchange),
        "task_queues": [Queue(name=queue, type=QueueType.QUORUM, arguments=arguments)],
        "dead_letter_queue": Queue(name=DeadLetters.of(queue).kept, type=QueueType.QUORUM),
        # Delayed jobs (the `delay` label): held here with a per-message TTL, then
        # dead-lettered to the queue. RabbitMQ expires messages at the head only, so a
        # delay waits behind any longer one sent before it (README, "Delayed jobs").
        "delay_queue": Queue(name=delay_queue(queue), type=QueueType.QUORUM),
        "timeout": settings.publish_timeout_s,
    }

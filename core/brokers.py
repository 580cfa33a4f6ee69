"""Broker clients configured identically for the API (publisher) and the workers.

Both backends get the same RabbitMQ, the same queue type, JSON, no result
backend, late acknowledgement and an explicit prefetch (the fairness rules).
"""

from typing import Any

from celery import Celery
from kombu import Exchange, Queue
from taskiq_aio_pika import AioPikaBroker
from taskiq_aio_pika import Exchange as TaskiqExchange
from taskiq_aio_pika import Queue as TaskiqQueue
from taskiq_aio_pika.queue import QueueType

from core.settings import Settings


def celery_config(settings: Settings) -> dict[str, Any]:
    queue = Queue(
        settings.celery_queue,
        Exchange(settings.celery_queue, type="direct"),
        routing_key=settings.celery_queue,
        queue_arguments={
            "x-queue-type": settings.queue_type,
            # Rejected messages (unknown task, invalid message) stay visible, as Taskiq's do.
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": f"{settings.celery_queue}.dead_letter",
        },
    )

    return {
        "broker_url": settings.amqp_url,
        "broker_connection_timeout": settings.publish_timeout_s,
        "broker_connection_retry_on_startup": True,
        # Wait for RabbitMQ's publisher confirm, as aio-pika does for Taskiq.
        "broker_transport_options": {"confirm_publish": True},
        "task_queues": [queue],
        "task_default_queue": settings.celery_queue,
        "task_default_exchange": settings.celery_queue,
        "task_default_routing_key": settings.celery_queue,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": settings.celery_prefetch_multiplier,
        "worker_concurrency": settings.worker_processes,
        "worker_send_task_events": settings.celery_task_events,  # Flower shows tasks
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
    }


def celery_dead_letter_queue(settings: Settings) -> Queue:
    """Where the Celery queue dead-letters to (default exchange, by queue name).
    Declared by the worker at startup; never consumed."""
    return Queue(
        f"{settings.celery_queue}.dead_letter",
        routing_key=f"{settings.celery_queue}.dead_letter",
        queue_arguments={"x-queue-type": settings.queue_type},
    )


def make_celery(settings: Settings, main: str = "queuebench") -> Celery:
    app = Celery(main)
    app.conf.update(celery_config(settings))
    return app


def make_taskiq_broker(settings: Settings) -> AioPikaBroker:
    queue_type = QueueType.QUORUM if settings.queue_type == "quorum" else QueueType.CLASSIC
    return AioPikaBroker(
        url=settings.amqp_url,
        # Default qos=10 would silently cap concurrency below --max-async-tasks.
        qos=settings.worker_slots,
        exchange=TaskiqExchange(name=settings.taskiq_exchange),
        task_queues=[TaskiqQueue(name=settings.taskiq_queue, type=queue_type)],
        dead_letter_queue=TaskiqQueue(name=f"{settings.taskiq_queue}.dead_letter", type=queue_type),
        timeout=settings.publish_timeout_s,
    )

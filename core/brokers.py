"""Broker clients configured identically for the API (publisher) and the workers
(Taskiq's broker arguments are in core/taskiq_broker.py, so a Celery worker does not
import Taskiq).

Both backends get the same RabbitMQ, quorum queues with the same delivery limit and
dead-letter topology, JSON, no result backend, late acknowledgement and an explicit
prefetch (the fairness rules).

Dead letters: a message returned to its queue more than DELIVERY_LIMIT times (worker
crashes, hand-backs while the database is down) or rejected by a worker goes to the
fanout exchange `<queue>.dead_letter`, which copies it into two queues: the
`<queue>.dead_letter` queue that operators inspect (kept until they purge it), and
`<queue>.dead_letter.recovery`, which the API's recovery reads to mark the job failed.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from celery import Celery
from kombu import Connection, Exchange, Queue

from core.contract import Backend
from core.settings import Settings

QUORUM = {"x-queue-type": "quorum"}


@dataclass(frozen=True)
class DeadLetters:
    exchange: str
    kept: str  # for operators
    recovery: str  # read by the API's recovery

    @classmethod
    def of(cls, queue: str) -> "DeadLetters":
        return cls(f"{queue}.dead_letter", f"{queue}.dead_letter", f"{queue}.dead_letter.recovery")


def all_queues(settings: Settings) -> list[str]:
    """Both backends' queues with their dead-letter queues."""
    names = []
    for backend in Backend:
        queue = settings.queue_for(backend)
        dead = DeadLetters.of(queue)
        names += [queue, dead.kept, dead.recovery]
    return names


def queue_arguments(settings: Settings, queue: str) -> dict[str, Any]:
    return {
        **QUORUM,
        "x-delivery-limit": settings.delivery_limit,
        "x-dead-letter-exchange": DeadLetters.of(queue).exchange,
    }


def declare_dead_letters(settings: Settings, *queues: str) -> None:
    """Declare each queue's dead-letter exchange and its two queues (idempotent).
    Blocking: call it from a thread in async code."""
    with Connection(settings.amqp_url, connect_timeout=settings.publish_timeout_s) as conn:
        channel = conn.default_channel
        for queue in queues:
            names = DeadLetters.of(queue)
            exchange = Exchange(names.exchange, type="fanout", durable=True)
            exchange(channel).declare()
            for name in (names.kept, names.recovery):
                Queue(name, exchange, queue_arguments=QUORUM)(channel).declare()


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


def celery_config(settings: Settings) -> dict[str, Any]:
    queue = settings.queue_for(Backend.celery)
    return {
        "broker_url": settings.amqp_url,
        "broker_connection_timeout": settings.publish_timeout_s,
        "broker_connection_retry_on_startup": True,
        # Wait for RabbitMQ's publisher confirm, as aio-pika does for Taskiq.
        "broker_transport_options": {"confirm_publish": True},
        "task_queues": [
            Queue(
                queue,
                Exchange(queue, type="direct"),
                routing_key=queue,
                queue_arguments=queue_arguments(settings, queue),
            )
        ],
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A task that raises is rejected (dead-lettered), not acked as if handled.
        "task_acks_on_failure_or_timeout": False,
        # The job's own deadlines (core.lifecycle) end every delivery within its budget;
        # Celery's limits sit past it, so they only ever stop a child stuck outside the
        # coroutine (prefork; the threads pool enforces none, the deadlines still hold).
        "task_soft_time_limit": settings.delivery_budget_s + 15,
        "task_time_limit": settings.delivery_budget_s + 30,
        # Prefork: one task per child process (a threads worker passes its own).
        "worker_prefetch_multiplier": settings.celery_prefetch_multiplier(),
        "worker_concurrency": settings.worker_processes,
        "worker_send_task_events": settings.celery_task_events,  # Flower shows tasks
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
    }


def make_celery(settings: Settings, main: str = "queuebench") -> Celery:
    app = Celery(main)
    app.conf.update(celery_config(settings))
    return app

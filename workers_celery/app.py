"""The Celery app, configured from core.Settings with the same broker rules as Taskiq
(core/topology.py): quorum queues with a delivery limit and dead letters, JSON, no result
backend, late acknowledgement and an explicit prefetch."""

import asyncio
import time
from typing import Any

from celery import Celery
from celery.beat import BeatLazyFunc
from celery.signals import worker_init
from kombu import Exchange, Queue

from core.contract import Backend
from core.periodic import TICK_TASK
from core.settings import Settings, get_settings
from core.topology import celery_exchange, declare_dead_letters, queue_arguments


def celery_config(settings: Settings) -> dict[str, Any]:
    queue = settings.queue_for(Backend.celery)
    return {
        # Several URLs ("a;b;c") are kombu's failover: on a lost connection it tries the next.
        "broker_url": ";".join(settings.celery_broker_urls),
        "broker_connection_timeout": settings.publish_timeout_s,
        # Sent and checked on every pool's loop (checked every heartbeat/2): a silent
        # connection is noticed after two missed heartbeats, then the consumer reconnects.
        "broker_heartbeat": settings.amqp_heartbeat_s,
        "broker_connection_retry_on_startup": True,
        # Celery's consumer, changed to come back after a silent connection (consumer.py).
        # On its new connection the worker may find its remote-control queue still held by
        # the dead one until RabbitMQ notices (405 RESOURCE_LOCKED): retry, do not exit.
        "broker_channel_error_retry": True,
        "worker_consumer": "workers_celery.consumer:Consumer",
        # No publisher confirms on the worker's connection: kombu waits for a confirm
        # without a timeout, so the worker's own events (its heartbeat event every 2 s)
        # hung its main loop for good on a silent connection, heartbeat check and all. Job
        # messages are published by the API (api/publishers/celery.py), with confirms.
        # A topic exchange: countdown/ETA then goes through RabbitMQ (native delayed
        # delivery, which binds this exchange to its delay levels), not the worker's memory.
        "task_queues": [
            Queue(
                queue,
                Exchange(celery_exchange(queue), type="topic"),
                routing_key=queue,
                queue_arguments=queue_arguments(settings, queue),
            )
        ],
        "task_default_queue": queue,
        "task_default_exchange": celery_exchange(queue),
        "task_default_exchange_type": "topic",
        "task_default_routing_key": queue,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A task whose connection was lost cannot be acked: RabbitMQ redelivers it, so stop
        # running it here (Celery 6's default; 5.x warns until it is set).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
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
        **features(settings),
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
    }


def features(settings: Settings) -> dict[str, Any]:
    """Rate limits and the beat schedule, from the settings both backends read."""
    return {
        # Celery's own per-task rate limit, held by each worker's consumer (all its pool).
        "task_annotations": {
            task.value: {"rate_limit": f"{rate:g}/s"} for task, rate in settings.rate_limits.items()
        },
        "beat_schedule": beat_schedule(settings),
        # In memory: nothing to keep on disk, as the window key (core/periodic.py) makes a
        # restarted beat, or a second one, harmless.
        "beat_scheduler": "celery.beat:Scheduler",
    }


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """PERIODIC_S as beat entries; each tick carries the time beat sent it."""
    return {
        f"periodic-{task.value}": {
            "task": TICK_TASK,
            "schedule": float(every_s),
            "kwargs": {"task": task.value, "tick_at": BeatLazyFunc(time.time)},
        }
        for task, every_s in settings.periodic_s.items()
    }


def make_worker_app(main: str, *task_modules: str) -> Celery:
    app = Celery(main)
    app.conf.update(celery_config(get_settings()))
    app.conf.include = list(task_modules)
    return app


app = make_worker_app("workers_celery", "workers_celery.tasks")


@worker_init.connect
def declare_dead_letter_queues(**_: Any) -> None:
    # Before any message is rejected: RabbitMQ drops dead letters with nowhere to go.
    # The main process, before any pool starts: no event loop runs here yet.
    settings = get_settings()
    asyncio.run(declare_dead_letters(settings, settings.queue_for(Backend.celery)))

"""The Celery app, configured from core.Settings (same broker rules as Taskiq), and
what a task does when the database is down: hand the message back."""

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.exceptions import Reject
from celery.signals import worker_init

from core.brokers import declare_dead_letters, make_celery
from core.contract import Backend
from core.lifecycle import DatabaseUnavailable, Outcome
from core.settings import get_settings


def make_worker_app(main: str, *task_modules: str) -> Celery:
    app = make_celery(get_settings(), main=main)
    app.conf.include = list(task_modules)
    return app


log = logging.getLogger(__name__)
app = make_worker_app("workers_celery", "workers_celery.tasks")


@worker_init.connect
def declare_dead_letter_queues(**_: Any) -> None:
    # Before any message is rejected: RabbitMQ drops dead letters with nowhere to go.
    settings = get_settings()
    declare_dead_letters(settings, settings.queue_for(Backend.celery))


def hand_back_if_database_down(job_id: str, run: Callable[[], Outcome]) -> Outcome:
    """If the outcome could not be recorded, return the message to the queue instead
    of acking it. RabbitMQ counts the returns and dead-letters the message past
    DELIVERY_LIMIT (quorum x-delivery-limit), so a database that never comes back
    cannot make it loop forever."""
    try:
        return run()
    except DatabaseUnavailable as exc:
        log.warning("job %s: database unavailable; handing the message back", job_id)
        raise Reject(f"database unavailable: {exc}", requeue=True) from exc

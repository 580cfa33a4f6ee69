"""The Celery app, configured from core.Settings (same broker rules as Taskiq)."""

from typing import Any

from celery.signals import worker_init

from core.brokers import celery_dead_letter_queue, make_celery
from core.settings import get_settings

app = make_celery(get_settings(), main="workers_celery")
app.conf.include = ["workers_celery.tasks"]


@worker_init.connect
def declare_dead_letter_queue(**_: Any) -> None:
    # Without it, RabbitMQ would drop what the queue dead-letters (unknown tasks).
    with app.connection_for_write() as conn:
        celery_dead_letter_queue(get_settings())(conn.default_channel).declare()

"""What a Celery task does when the database is down: hand the message back (requeue), as
workers_taskiq/handback.py does for Taskiq. No signal handlers here, so a bridge of its own
(bench_service/celery_variants/) can use it without starting this package's loop thread."""

import logging
from collections.abc import Callable

from celery.exceptions import Reject

from core.lifecycle import DatabaseUnavailable, Outcome

log = logging.getLogger(__name__)


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

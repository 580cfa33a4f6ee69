"""The contract shared by the API's publishers and both workers.

Task names, job statuses and the message shape live here, so the API can publish
by name without importing a worker package. A message carries the job id and
nothing else: the job's payload, attempts and times live in the `jobs` row.
"""

from enum import StrEnum
from typing import Any
from uuid import UUID


class Backend(StrEnum):
    celery = "celery"
    taskiq = "taskiq"


class TaskName(StrEnum):
    """The four jobs."""

    price_order = "price_order"
    sales_report = "sales_report"
    fetch_rates = "fetch_rates"
    render_invoice = "render_invoice"


class JobStatus(StrEnum):
    waiting = "waiting"  # a chain step: released when the step before it is done
    publishing = "publishing"  # row committed, message not yet confirmed by RabbitMQ
    queued = "queued"  # message confirmed
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"  # by POST /jobs/{id}/cancel: never ran, or was stopped


class Priority(StrEnum):
    """RabbitMQ 4 quorum queues know two levels: high (priority above 4) and normal."""

    normal = "normal"
    high = "high"


# The AMQP message priority each level is sent with (both backends).
MESSAGE_PRIORITY = {Priority.normal: 0, Priority.high: 9}

UNFINISHED = (JobStatus.publishing, JobStatus.queued, JobStatus.running)
FINISHED = (JobStatus.done, JobStatus.failed, JobStatus.cancelled)
# Postgres notifies this channel with the job id when a job finishes (migration 0003).
FINISHED_CHANNEL = "jobs_finished"
# The API notifies this one with the id of a running job a client cancelled.
CANCEL_CHANNEL = "jobs_cancel"
# Postgres notifies this one with a chain step's id when it is released (migration 0006).
RELEASED_CHANNEL = "jobs_released"


def message_kwargs(job_id: UUID) -> dict[str, Any]:
    """Keyword arguments every task receives, in both backends (JSON-safe)."""
    return {"job_id": str(job_id)}

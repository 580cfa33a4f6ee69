"""The contract shared by the API's publishers and both workers.

Task names and message shape live here so the API can publish by name without
importing a worker package.
"""

from enum import StrEnum
from typing import Any
from uuid import UUID


class Backend(StrEnum):
    celery = "celery"
    taskiq = "taskiq"


class TaskName(StrEnum):
    price_order = "price_order"
    sales_report = "sales_report"
    fetch_rates = "fetch_rates"
    render_invoice = "render_invoice"


def message_kwargs(job_id: UUID, payload: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments every task receives, in both backends (JSON-safe)."""
    return {"job_id": str(job_id), "payload": payload}

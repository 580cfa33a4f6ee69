"""The four jobs: each a payload model (defaults, hard bounds) and one coroutine, found
by task name in JOBS (the registry core.lifecycle runs them from)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from core.contract import TaskName
from core.jobs.context import JobContext
from core.jobs.fetch_rates import FetchRatesPayload, fetch_rates
from core.jobs.price_order import PriceOrderPayload, price_order
from core.jobs.render_invoice import RenderInvoicePayload, render_invoice
from core.jobs.sales_report import SalesReportPayload, sales_report


@dataclass(frozen=True)
class JobSpec:
    payload: type[BaseModel]
    run: Callable[[JobContext, Any], Awaitable[dict[str, Any]]]


JOBS: dict[str, JobSpec] = {
    TaskName.price_order: JobSpec(PriceOrderPayload, price_order),
    TaskName.sales_report: JobSpec(SalesReportPayload, sales_report),
    TaskName.fetch_rates: JobSpec(FetchRatesPayload, fetch_rates),
    TaskName.render_invoice: JobSpec(RenderInvoicePayload, render_invoice),
}

__all__ = [
    "JOBS",
    "FetchRatesPayload",
    "JobContext",
    "JobSpec",
    "PriceOrderPayload",
    "RenderInvoicePayload",
    "SalesReportPayload",
]

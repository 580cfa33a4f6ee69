"""Request and response bodies. The job body is a union discriminated by `task`,
so each task's payload is validated (and documented) by its own model."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.contract import Backend, JobStatus
from core.jobs import (
    FetchRatesPayload,
    PriceOrderPayload,
    RenderInvoicePayload,
    SalesReportPayload,
)

MAX_BATCH = 1000
RunId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-shaped value, dict keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


class JobBase(BaseModel):
    """What every job body has; each task's model narrows `task` and `payload`."""

    model_config = ConfigDict(extra="forbid")
    backend: Backend
    task: str
    payload: BaseModel
    run_id: RunId | None = None

    @field_validator("payload", mode="before", check_fields=False)
    @classmethod
    def storable(cls, payload: Any) -> Any:
        # The payload is stored as JSONB, which cannot hold U+0000: without this the
        # INSERT fails and the client gets a 500 instead of a 422. Checked on the input
        # as sent, before the model (which only keeps or derives what it was given).
        if any("\x00" in s for s in strings(payload)):
            raise ValueError("strings in the payload must not contain U+0000 (NUL)")
        return payload


class PriceOrderJob(JobBase):
    task: Literal["price_order"]
    payload: PriceOrderPayload = Field(default_factory=PriceOrderPayload)


class SalesReportJob(JobBase):
    task: Literal["sales_report"]
    payload: SalesReportPayload = Field(default_factory=SalesReportPayload)


class FetchRatesJob(JobBase):
    task: Literal["fetch_rates"]
    payload: FetchRatesPayload = Field(default_factory=FetchRatesPayload)


class RenderInvoiceJob(JobBase):
    task: Literal["render_invoice"]
    payload: RenderInvoicePayload = Field(default_factory=RenderInvoicePayload)


JobIn = Annotated[
    PriceOrderJob | SalesReportJob | FetchRatesJob | RenderInvoiceJob,
    Field(discriminator="task"),
]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jobs: list[JobIn] = Field(min_length=1, max_length=MAX_BATCH)


class Accepted(BaseModel):
    id: UUID


class BatchAccepted(BaseModel):
    ids: list[UUID]


class JobOut(BaseModel):
    id: UUID
    backend: str
    task: str
    status: JobStatus
    attempts: int
    duplicate_deliveries: int
    run_id: str | None
    enqueued_at: datetime
    first_started_at: datetime | None
    started_at: datetime | None  # the last attempt's start
    finished_at: datetime | None
    queue_wait_ms: float | None  # enqueued -> first start
    service_ms: float | None  # last start -> finished
    e2e_ms: float | None
    result: dict[str, Any] | None
    error: str | None


class Health(BaseModel):
    postgres: str
    rabbitmq: str

"""Request and response bodies. The job body is a union discriminated by `task`,
so each task's payload is validated (and documented) by its own model."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.contract import Backend, JobStatus, Priority, TaskName
from core.jobs import (
    JOBS,
    FetchRatesPayload,
    PriceOrderPayload,
    RenderInvoicePayload,
    SalesReportPayload,
)

MAX_BATCH = 1000
MAX_STEPS = 10  # a chain's steps after its first job
# The longest delay accepted: a day. Celery's delay levels reach 8 years, but a delayed job
# is a promise kept in RabbitMQ, and Taskiq's delay queue holds every shorter delay behind
# a longer one (README, "Delayed jobs").
MAX_DELAY_S = 86_400.0
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


def no_nul(payload: Any) -> Any:
    # The payload is stored as JSONB, which cannot hold U+0000: without this the INSERT
    # fails and the client gets a 500 instead of a 422. Checked on the input as sent.
    if any("\x00" in s for s in strings(payload)):
        raise ValueError("strings in the payload must not contain U+0000 (NUL)")
    return payload


class ChainStep(BaseModel):
    """A job to run after the one before it is done: its task and payload (its backend,
    priority and run_id are the first job's)."""

    model_config = ConfigDict(extra="forbid")
    task: TaskName
    payload: dict[str, Any] = Field(default_factory=dict)

    _storable = field_validator("payload", mode="before")(no_nul)

    @model_validator(mode="after")
    def valid_payload(self) -> Self:
        """Validated by the task's own model now, not when the step runs."""
        model = JOBS[self.task].payload.model_validate(self.payload)
        self.payload = model.model_dump(mode="json")
        return self


class JobBase(BaseModel):
    """What every job body has; each task's model narrows `task` and `payload`."""

    model_config = ConfigDict(extra="forbid")
    backend: Backend
    task: str
    payload: BaseModel
    run_id: RunId | None = None
    delay_s: float | None = Field(
        None, gt=0, le=MAX_DELAY_S, description="start no earlier than this many seconds from now"
    )
    run_at: AwareDatetime | None = Field(
        None, description="start no earlier than this time (with its UTC offset)"
    )
    priority: Priority = Priority.normal
    then: list[ChainStep] = Field(
        default_factory=list, max_length=MAX_STEPS, description="a chain: each after the last"
    )

    # Checked on the input as sent, before the model (which only keeps or derives it).
    _storable = field_validator("payload", mode="before", check_fields=False)(no_nul)

    @model_validator(mode="after")
    def one_start_time(self) -> Self:
        """delay_s becomes run_at; a run_at must lie ahead, within MAX_DELAY_S."""
        now = datetime.now(UTC)
        if self.delay_s is not None:
            if self.run_at is not None:
                raise ValueError("give delay_s or run_at, not both")
            self.run_at = now + timedelta(seconds=self.delay_s)
        elif self.run_at is not None:
            ahead = (self.run_at - now).total_seconds()
            if not 0 < ahead <= MAX_DELAY_S:
                raise ValueError(
                    f"run_at must lie in the next {MAX_DELAY_S:g} s; it is {ahead:.0f} s from now"
                )
        return self


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
    then: list[UUID] = []  # a chain's later steps, in order


class BatchAccepted(BaseModel):
    ids: list[UUID]
    then: list[list[UUID]] = []  # each job's chain steps after it


class CancelOut(BaseModel):
    id: UUID
    status: JobStatus  # cancelled, or running while its worker stops it


class JobOut(BaseModel):
    id: UUID
    backend: str
    task: str
    status: JobStatus
    attempts: int
    duplicate_deliveries: int
    run_id: str | None
    priority: Priority
    enqueued_at: datetime
    run_at: datetime | None  # a delayed job's earliest start
    cancel_requested_at: datetime | None
    chain_id: UUID | None  # a chain's first job
    chain_step: int | None
    first_started_at: datetime | None
    started_at: datetime | None  # the last attempt's start
    finished_at: datetime | None
    queue_wait_ms: float | None  # enqueued (a delayed job: run_at) -> first start
    service_ms: float | None  # last start -> finished
    e2e_ms: float | None
    result: dict[str, Any] | None
    error: str | None


class Health(BaseModel):
    postgres: str
    rabbitmq: str

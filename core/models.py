"""Typed SQLAlchemy models: the `jobs` ledger and the tables the four jobs use."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.contract import JobStatus

STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in JobStatus))


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One accepted job, the single source of truth about it. Messages carry only
    its id. Postgres stamps every time with clock_timestamp()."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="jobs_status"),
        Index("jobs_run_id", "run_id"),
        Index("jobs_status_idx", "status"),
        Index("jobs_tick_key", "tick_key", unique=True),
        Index("jobs_chain", "chain_id", "chain_step"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    backend: Mapped[str] = mapped_column(String(16))
    task: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.publishing.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    # Free-form tag so the harness can select one run's jobs.
    run_id: Mapped[str | None] = mapped_column(String(64))
    # Messages published for this job: 1, plus one per re-publish by the recovery.
    publishes: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Deliveries that found the job already finished (or finished by another delivery
    # while they ran): their work was rolled back. At-least-once delivery made visible.
    duplicate_deliveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A delayed job starts no earlier than this (NULL: at once).
    run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    # Set when a client cancels the job while it runs: its worker stops it and marks it
    # cancelled (the API notifies the worker; a later delivery reads it here).
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A periodic job's schedule window ("taskiq:sales_report@1733600400"): unique, so a second
    # scheduler's tick in the same window makes no second job (core/periodic.py).
    tick_key: Mapped[str | None] = mapped_column(String(80))
    # A chain's steps share its first job's id; step 0 is that job (core/chains.py).
    chain_id: Mapped[uuid.UUID | None] = mapped_column()
    chain_step: Mapped[int | None] = mapped_column(Integer)
    enqueued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    # First and last start: queue wait = first start - enqueued; service = finished -
    # last start (earlier attempts and their backoff count in neither).
    first_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # Unique: a redelivered price_order message cannot create a second order.
    job_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    customer: Mapped[str] = mapped_column(String(64))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    tax: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), index=True
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(32), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    line_total: Mapped[Decimal] = mapped_column(Numeric(16, 2))


class SalesSummary(Base):
    """Per-SKU aggregate over a trailing window, upserted by sales_report."""

    __tablename__ = "sales_summary"

    window_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(BigInteger)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )


class Invoice(Base):
    __tablename__ = "invoices"

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)
    rounds: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.contract import TaskName
from core.jobs import JOBS, JobContext, JobSpec, PriceOrderPayload
from core.jobs.price_order import compute_totals
from core.lifecycle import execute
from core.models import Job, Order, OrderItem
from core.settings import Settings
from tests.helpers.jobs import new_job, run_job

AWKWARD = {
    "customer": "c1",
    "items": [{"sku": "A", "qty": 3}, {"sku": "B", "qty": 7}, {"sku": "C", "qty": 1}],
    "prices": {"A": "0.10", "B": "0.20", "C": "19.99"},
    "tax_rate": "0.0725",
}


def test_totals_are_exact_decimals() -> None:
    totals = compute_totals(PriceOrderPayload.model_validate(AWKWARD))
    # 3*0.10 + 7*0.20 + 19.99 = 21.69 exactly (floats give 21.689999...)
    assert totals.subtotal == Decimal("21.69")
    # 21.69 * 0.0725 = 1.572525 -> 1.57 (half-even to cents)
    assert totals.tax == Decimal("1.57")
    assert totals.total == Decimal("23.26")
    assert 3 * 0.10 + 7 * 0.20 + 19.99 != 21.69  # why Decimal matters


def test_half_even_rounding_of_tax() -> None:
    payload = {"items": [{"sku": "X", "qty": 1}], "prices": {"X": "0.50"}, "tax_rate": "0.0500"}
    # 0.50 * 0.05 = 0.025 -> 0.02 half-even (half-up would give 0.03)
    assert compute_totals(PriceOrderPayload.model_validate(payload)).tax == Decimal("0.02")


def test_payload_bounds() -> None:
    for bad in (
        {"items": [{"sku": "A", "qty": 0}], "prices": {"A": "1"}},
        {"items": [{"sku": "A", "qty": 10_001}], "prices": {"A": "1"}},
        {"items": [{"sku": "A", "qty": 1}], "prices": {"A": "0.001"}},
        {"items": [{"sku": "A", "qty": 1}], "prices": {"B": "1"}},
        {"items": [], "prices": {"A": "1"}},
        {"items": [{"sku": "A", "qty": 1}] * 101, "prices": {"A": "1"}},
    ):
        try:
            PriceOrderPayload.model_validate(bad)
        except ValidationError:
            continue
        raise AssertionError(f"accepted out-of-bounds payload {bad}")


async def test_order_and_items_are_stored_exactly(
    session: AsyncSession, settings: Settings
) -> None:
    job = await run_job(session, settings, TaskName.price_order, AWKWARD)
    assert job.status == "done" and job.attempts == 1
    assert job.result is not None and job.result["total"] == "23.26"
    order = await session.scalar(select(Order).where(Order.job_id == job.id))
    assert order is not None
    assert (order.subtotal, order.tax, order.total) == (
        Decimal("21.69"),
        Decimal("1.57"),
        Decimal("23.26"),
    )
    lines = (await session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))).all()
    assert sorted((i.sku, i.qty, i.line_total) for i in lines) == [
        ("A", 3, Decimal("0.30")),
        ("B", 7, Decimal("1.40")),
        ("C", 1, Decimal("19.99")),
    ]


async def test_two_deliveries_racing_create_one_order_and_count_one_duplicate(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
) -> None:
    """A redelivery while the first delivery still runs (e.g. after a broker drop):
    both get past mark_running; the second's insert waits on the first's order, finds
    it (ON CONFLICT), and its final write finds the job done: rolled back, counted."""
    job_id = await new_job(session, TaskName.price_order, AWKWARD)

    spec = JOBS[TaskName.price_order]

    async def until_both_started(ctx: JobContext, payload: Any) -> dict[str, Any]:
        """The job, then before `done`: hold until the other delivery has passed
        mark_running too (a condition, not a time: on a loaded box the other may take
        long to connect)."""
        result = await spec.run(ctx, payload)
        deadline = asyncio.get_running_loop().time() + 60
        async with sessionmaker() as probe:
            while (await probe.scalar(select(Job.attempts).where(Job.id == job_id)) or 0) < 2:
                assert asyncio.get_running_loop().time() < deadline, "no second delivery"
                await asyncio.sleep(0.01)
        return result

    registry = {TaskName.price_order.value: JobSpec(spec.payload, until_both_started)}

    async def deliver() -> str:
        async with sessionmaker() as s, httpx.AsyncClient() as http:
            return await execute(s, http, settings, TaskName.price_order, str(job_id), registry)

    outcomes = await asyncio.gather(deliver(), deliver())
    assert sorted(outcomes) == ["done", "duplicate"]
    job = await session.get(Job, job_id, populate_existing=True)
    assert job is not None
    assert (job.status, job.attempts, job.duplicate_deliveries) == ("done", 2, 1)
    orders = await session.scalar(
        select(func.count()).select_from(Order).where(Order.job_id == job_id)
    )
    items = await session.scalar(
        select(func.count()).select_from(OrderItem).join(Order).where(Order.job_id == job_id)
    )
    assert (orders, items) == (1, 3)
    assert job.result is not None and job.result["total"] == "23.26"

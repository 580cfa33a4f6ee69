from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from core.contract import TaskName
from core.models import Order, SalesSummary
from core.settings import Settings
from tests.helpers.jobs import run_job

ORDERS: list[dict[str, Any]] = [
    {
        "items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
        "prices": {"A": "1.10", "B": "2.35"},
    },
    {"items": [{"sku": "A", "qty": 5}], "prices": {"A": "1.15"}},
    {
        "items": [{"sku": "C", "qty": 3}, {"sku": "A", "qty": 1}],
        "prices": {"C": "0.33", "A": "1.10"},
    },
]
OLD = {
    "items": [{"sku": "A", "qty": 100}, {"sku": "D", "qty": 9}],
    "prices": {"A": "9.99", "D": "1"},
}


@pytest.mark.usefixtures("clean_db")
async def test_summary_matches_independent_computation(
    session: AsyncSession, settings: Settings
) -> None:
    for payload in ORDERS:
        assert (await run_job(session, settings, TaskName.price_order, payload)).status == "done"
    old = await run_job(session, settings, TaskName.price_order, OLD)
    # Move one order out of the 60-minute window.
    await session.execute(
        update(Order)
        .where(Order.job_id == old.id)
        .values(created_at=func.now() - func.make_interval(0, 0, 0, 0, 3))
    )
    await session.commit()

    orders: dict[str, set[int]] = defaultdict(set)
    units: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for n, payload in enumerate(ORDERS):
        for line in payload["items"]:
            sku, qty = line["sku"], line["qty"]
            orders[sku].add(n)
            units[sku] += qty
            revenue[sku] += Decimal(payload["prices"][sku]) * qty

    job = await run_job(session, settings, TaskName.sales_report, {"window_minutes": 60, "top": 2})
    assert job.status == "done", job.error
    rows = (
        await session.scalars(select(SalesSummary).where(SalesSummary.window_minutes == 60))
    ).all()
    got = {r.sku: (r.orders, r.units, r.revenue) for r in rows}
    want = {sku: (len(orders[sku]), units[sku], revenue[sku]) for sku in orders}
    assert got == want
    assert "D" not in got  # the old order is outside the window
    assert job.result == {
        "skus": 3,
        "orders": 3,
        "top": [{"sku": "A", "revenue": "9.05"}, {"sku": "B", "revenue": "2.35"}],
    }

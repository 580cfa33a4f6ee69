"""Each of the four tasks, posted through the API, ends done on a real worker of
each backend, with the same effects: both are held to one set of expected values."""

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.jobs import RenderInvoicePayload
from core.jobs.render_invoice import digest, render
from core.models import Invoice, Order, OrderItem, SalesSummary
from core.settings import Settings
from stub.app import rate
from tests.helpers.api import post_job
from tests.helpers.workers import wait_finished, worker

pytestmark = pytest.mark.usefixtures("empty_queues", "clean_db", "stub")

ORDER = {
    "items": [{"sku": "A", "qty": 3}, {"sku": "B", "qty": 7}],
    "prices": {"A": "0.10", "B": "19.99"},
    "tax_rate": "0.0725",
}
INVOICE = {"customer": "e2e", "lines": 30, "rounds": 500}


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_four_tasks_end_done_with_the_same_effects(
    backend: str,
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with worker(settings, backend):
        order_job = await post_job(client, backend, "price_order", payload=ORDER)
        [order] = await wait_finished(sessionmaker, [order_job])
        ids = [
            await post_job(client, backend, "sales_report", payload={"window_minutes": 30}),
            await post_job(
                client,
                backend,
                "fetch_rates",
                payload={"symbols": ["USD", "JPY"], "latency_ms": 50},
            ),
            await post_job(client, backend, "render_invoice", payload=INVOICE),
        ]
        report, rates, invoice = await wait_finished(sessionmaker, ids)

    for job in (order, report, rates, invoice):
        assert (job.status, job.attempts, job.error) == ("done", 1, None), job.task
        assert job.enqueued_at <= job.started_at <= job.finished_at  # type: ignore[operator]

    async with sessionmaker() as s:
        stored = await s.scalar(select(Order).where(Order.job_id == order.id))
        assert stored is not None
        assert (stored.subtotal, stored.tax, stored.total) == (
            Decimal("140.23"),
            Decimal("10.17"),
            Decimal("150.40"),
        )
        items = (await s.scalars(select(OrderItem).where(OrderItem.order_id == stored.id))).all()
        assert sorted((i.sku, i.qty, i.line_total) for i in items) == [
            ("A", 3, Decimal("0.30")),
            ("B", 7, Decimal("139.93")),
        ]
        summary = (
            await s.scalars(select(SalesSummary).where(SalesSummary.window_minutes == 30))
        ).all()
        assert sorted((r.sku, r.orders, r.units, r.revenue) for r in summary) == [
            ("A", 1, 3, Decimal("0.30")),
            ("B", 1, 7, Decimal("139.93")),
        ]
        stored_invoice = await s.get(Invoice, invoice.id)
        assert stored_invoice is not None
        assert stored_invoice.digest == digest(render(RenderInvoicePayload(**INVOICE)), 500)

    assert rates.result == {
        "base": "EUR",
        "rates": {"USD": rate("EUR", "USD"), "JPY": rate("EUR", "JPY")},
    }
    assert report.result is not None and report.result["orders"] == 1

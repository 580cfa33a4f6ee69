"""sales_report: aggregate recent orders per SKU and upsert the summary."""

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.jobs.context import JobContext
from core.models import Order, OrderItem, SalesSummary


class SalesReportPayload(BaseModel):
    window_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    top: int = Field(5, ge=1, le=100)


async def sales_report(ctx: JobContext, payload: SalesReportPayload) -> dict[str, Any]:
    session = ctx.session
    since = func.clock_timestamp() - func.make_interval(0, 0, 0, 0, 0, payload.window_minutes)
    recent = select(Order.id).where(Order.created_at >= since).subquery()
    rows = (
        await session.execute(
            select(
                OrderItem.sku,
                func.count(func.distinct(OrderItem.order_id)),
                func.sum(OrderItem.qty),
                func.sum(OrderItem.line_total),
            )
            .where(OrderItem.order_id.in_(select(recent.c.id)))
            .group_by(OrderItem.sku)
            .order_by(OrderItem.sku)  # same lock order in concurrent upserts
        )
    ).all()
    if rows:
        stmt = pg_insert(SalesSummary).values(
            [
                {
                    "window_minutes": payload.window_minutes,
                    "sku": sku,
                    "orders": orders,
                    "units": units,
                    "revenue": revenue,
                }
                for sku, orders, units, revenue in rows
            ]
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SalesSummary.window_minutes, SalesSummary.sku],
                set_={
                    "orders": stmt.excluded.orders,
                    "units": stmt.excluded.units,
                    "revenue": stmt.excluded.revenue,
                    "computed_at": func.clock_timestamp(),
                },
            )
        )
    top = sorted(rows, key=lambda r: (-r[3], r[0]))[: payload.top]
    return {
        "skus": len(rows),
        "orders": await session.scalar(select(func.count()).select_from(recent)),
        "top": [{"sku": sku, "revenue": str(revenue)} for sku, _, _, revenue in top],
    }

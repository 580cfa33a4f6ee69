"""price_order: an order plus a price list -> exact totals, one transaction."""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, cast

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.jobs.context import JobContext
from core.models import Order, OrderItem

Sku = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2)]
CENT = Decimal("0.01")


class Line(BaseModel):
    sku: Sku
    qty: int = Field(1, ge=1, le=10_000)


class PriceOrderPayload(BaseModel):
    customer: str = Field("acme", min_length=1, max_length=64)
    items: list[Line] = Field(
        default_factory=lambda: [Line(sku="A-1", qty=3), Line(sku="B-2", qty=1)],
        min_length=1,
        max_length=100,
    )
    prices: dict[Sku, Price] = Field(
        default_factory=lambda: {"A-1": Decimal("19.99"), "B-2": Decimal("0.10")},
        max_length=1000,
    )
    tax_rate: Decimal = Field(Decimal("0.0725"), ge=0, le=1, max_digits=5, decimal_places=4)

    @model_validator(mode="after")
    def every_sku_has_a_price(self) -> "PriceOrderPayload":
        missing = sorted({line.sku for line in self.items} - set(self.prices))
        if missing:
            raise ValueError(f"no price for sku(s): {', '.join(missing)}")
        return self


@dataclass(frozen=True)
class Totals:
    lines: list[dict[str, Any]]  # rows for order_items
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def compute_totals(payload: PriceOrderPayload) -> Totals:
    """Exact Decimal arithmetic; only the tax is rounded (half-even, to cents)."""
    lines: list[dict[str, Any]] = []
    subtotal = Decimal("0")
    for line in payload.items:
        price = payload.prices[line.sku]
        lines.append(
            {"sku": line.sku, "qty": line.qty, "unit_price": price, "line_total": price * line.qty}
        )
        subtotal += price * line.qty
    tax = (subtotal * payload.tax_rate).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return Totals(lines, subtotal, tax, subtotal + tax)


# Built once: Core statements on the tables (the ORM's bulk paths cost more than the job).
orders, order_items = cast(Table, Order.__table__), cast(Table, OrderItem.__table__)
INSERT_ORDER = (
    pg_insert(orders)
    .on_conflict_do_nothing(index_elements=[orders.c.job_id])
    .returning(orders.c.id)
)
ORDER_OF_JOB = select(orders.c.id).where(orders.c.job_id == bindparam("job_id"))
INSERT_ITEMS = insert(order_items)


async def price_order(ctx: JobContext, payload: PriceOrderPayload) -> dict[str, Any]:
    totals = compute_totals(payload)
    session = ctx.session
    order = {"job_id": ctx.job_id, "customer": payload.customer}
    order |= {"subtotal": totals.subtotal, "tax": totals.tax, "total": totals.total}
    order_id = await session.scalar(INSERT_ORDER, order)
    if order_id is None:
        # Another delivery of this job committed the order (and so its `done`) while
        # this one ran: the lifecycle's final write finds the job finished and rolls
        # this delivery back, counting it in jobs.duplicate_deliveries.
        order_id = await session.scalar(ORDER_OF_JOB, {"job_id": ctx.job_id})
    else:
        await session.execute(
            INSERT_ITEMS, [{"order_id": order_id, **line} for line in totals.lines]
        )
    return {
        "order_id": order_id,
        "subtotal": str(totals.subtotal),
        "tax": str(totals.tax),
        "total": str(totals.total),
    }

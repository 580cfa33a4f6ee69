"""render_invoice: CPU-bound pure-Python work whose digest is stored."""

import hashlib
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.jobs.context import JobContext
from core.models import Invoice


class RenderInvoicePayload(BaseModel):
    customer: str = Field("acme", min_length=1, max_length=64)
    lines: int = Field(20, ge=1, le=500)
    rounds: int = Field(2000, ge=1, le=200_000)


def render(payload: RenderInvoicePayload) -> str:
    """A deterministic text invoice: same payload, same bytes."""
    rows = [f"INVOICE for {payload.customer}", "-" * 48]
    total = 0
    for n in range(1, payload.lines + 1):
        qty, cents = n % 7 + 1, (n * 7919) % 100_000
        total += qty * cents
        rows.append(
            f"{n:>4} SKU-{n:05d} {qty:>3} x {cents / 100:>10.2f} = {qty * cents / 100:>12.2f}"
        )
    rows.append(f"{'TOTAL':>36} {total / 100:>12.2f}")
    return "\n".join(rows)


def digest(text: str, rounds: int) -> str:
    """Hash `rounds` times, re-encoding the hex each round: cost grows linearly."""
    value = text.encode()
    for _ in range(rounds):
        value = hashlib.sha256(value).hexdigest().encode()
    return value.decode()


invoices = cast(Table, Invoice.__table__)
INSERT_INVOICE = pg_insert(invoices).on_conflict_do_nothing(index_elements=[invoices.c.job_id])


async def render_invoice(ctx: JobContext, payload: RenderInvoicePayload) -> dict[str, Any]:
    text = render(payload)
    result = {"digest": digest(text, payload.rounds), "size_bytes": len(text.encode())}
    row = {"job_id": ctx.job_id, "customer": payload.customer, "lines": payload.lines}
    await ctx.session.execute(INSERT_INVOICE, {**row, "rounds": payload.rounds, **result})
    return result

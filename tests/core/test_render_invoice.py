import hashlib
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.contract import TaskName
from core.jobs import RenderInvoicePayload
from core.jobs.render_invoice import digest, render
from core.models import Invoice
from core.settings import Settings
from tests.helpers.jobs import run_job


def test_digest_is_deterministic() -> None:
    payload = RenderInvoicePayload(customer="x", lines=50, rounds=100)
    assert render(payload) == render(payload)
    assert digest(render(payload), 100) == digest(render(payload), 100)
    assert digest(render(payload), 100) != digest(render(payload), 101)
    one = hashlib.sha256(render(payload).encode()).hexdigest()
    assert digest(render(payload), 1) == one


def test_cost_grows_with_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Cost counted in hash rounds and rendered bytes, not seconds: a timed test would flake.
    calls = 0
    real = hashlib.sha256

    def counting(data: bytes) -> Any:
        nonlocal calls
        calls += 1
        return real(data)

    monkeypatch.setattr(hashlib, "sha256", counting)
    for rounds in (10, 100, 1000):
        calls = 0
        digest("x", rounds)
        assert calls == rounds
    small = len(render(RenderInvoicePayload(lines=10)))
    large = len(render(RenderInvoicePayload(lines=100)))
    assert large > 8 * small  # linear in lines, plus a fixed header


async def test_invoice_is_stored_with_its_digest(session: AsyncSession, settings: Settings) -> None:
    payload = {"customer": "acme", "lines": 5, "rounds": 10}
    first = await run_job(session, settings, TaskName.render_invoice, payload)
    second = await run_job(session, settings, TaskName.render_invoice, payload)
    assert first.status == second.status == "done"
    assert first.result == second.result
    stored = await session.scalar(select(Invoice).where(Invoice.job_id == first.id))
    assert stored is not None and first.result is not None
    assert (
        stored.digest
        == first.result["digest"]
        == digest(render(RenderInvoicePayload(**payload)), 10)
    )

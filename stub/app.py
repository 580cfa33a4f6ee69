"""The external service fetch_rates calls. Run: `uvicorn stub.app:app --port 8090`.

GET /rates?base=EUR&symbols=USD,GBP&latency_ms=100, header Idempotency-Key: <job id>.
Rates are a pure function of the currency pair, so both backends store the same.
It does not deduplicate: it counts the calls it receives per key, so the harness can
count the external calls a redelivery repeated (GET /calls, reset with DELETE /calls).
"""

import asyncio
import hashlib
from collections import Counter
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Query
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StubSettings(BaseSettings):
    """The stub's own settings (it stands in for another company's service)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    # Answer every call with this status (the tests' and the benchmark's failing stub).
    test_stub_status: int | None = Field(None, ge=500, le=599)


SETTINGS = StubSettings()
app = FastAPI(title="rates stub")

MAX_LATENCY_MS = 30_000
MAX_KEYS = 1_000_000  # bounded memory: later keys are only counted as overflow
calls: Counter[str] = Counter()
overflow = 0


def rate(base: str, symbol: str) -> float:
    if base == symbol:
        return 1.0
    seed = int(hashlib.sha256(f"{base}/{symbol}".encode()).hexdigest()[:8], 16)
    return round(0.1 + (seed % 200_000) / 10_000, 4)


def record(key: str | None) -> None:
    global overflow
    if key is None:
        return
    if key in calls or len(calls) < MAX_KEYS:
        calls[key] += 1
    else:
        overflow += 1


@app.get("/rates")
async def rates(
    base: str = Query("EUR", pattern=r"^[A-Z]{3}$"),
    symbols: str = Query("USD", pattern=r"^[A-Z]{3}(,[A-Z]{3}){0,19}$"),
    latency_ms: int = Query(0, ge=0, le=MAX_LATENCY_MS),
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> dict[str, object]:
    record(idempotency_key)
    await asyncio.sleep(latency_ms / 1000)
    status = SETTINGS.test_stub_status
    if status is not None:
        raise HTTPException(status_code=status, detail="simulated failure (TEST_STUB_STATUS)")
    return {"base": base, "rates": {s: rate(base, s) for s in symbols.split(",")}}


@app.get("/calls")
async def list_calls() -> dict[str, object]:
    """Calls received per Idempotency-Key since the last reset."""
    return {"calls": dict(calls), "overflow": overflow}


@app.delete("/calls", status_code=204)
async def reset_calls() -> None:
    global overflow
    calls.clear()
    overflow = 0


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}

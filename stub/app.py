"""The external service fetch_rates calls. Run: `uvicorn stub.app:app --port 8090`.

GET /rates?base=EUR&symbols=USD,GBP&latency_ms=100[&status=503]
Rates are a pure function of the currency pair, so both backends store the same.
"""

import asyncio
import hashlib

from fastapi import FastAPI, HTTPException, Query

app = FastAPI(title="rates stub")

MAX_LATENCY_MS = 30_000


def rate(base: str, symbol: str) -> float:
    if base == symbol:
        return 1.0
    seed = int(hashlib.sha256(f"{base}/{symbol}".encode()).hexdigest()[:8], 16)
    return round(0.1 + (seed % 200_000) / 10_000, 4)


@app.get("/rates")
async def rates(
    base: str = Query("EUR", pattern=r"^[A-Z]{3}$"),
    symbols: str = Query("USD", pattern=r"^[A-Z]{3}(,[A-Z]{3}){0,19}$"),
    latency_ms: int = Query(0, ge=0, le=MAX_LATENCY_MS),
    status: int | None = Query(None, ge=500, le=599),
) -> dict[str, object]:
    await asyncio.sleep(latency_ms / 1000)
    if status is not None:
        raise HTTPException(status_code=status, detail="simulated failure")
    return {"base": base, "rates": {s: rate(base, s) for s in symbols.split(",")}}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}

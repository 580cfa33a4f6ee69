"""fetch_rates: one HTTP call to the external (stub) rates service."""

from typing import Annotated, Any

from pydantic import BaseModel, Field

from core.jobs.context import JobContext

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class FetchRatesPayload(BaseModel):
    base: Currency = "EUR"
    symbols: list[Currency] = Field(
        default_factory=lambda: ["USD", "GBP", "JPY"], min_length=1, max_length=20
    )
    latency_ms: int = Field(100, ge=0, le=5000)
    # Ask the stub to answer with this 5xx status: exercises the retry policy.
    simulate_status: int | None = Field(None, ge=500, le=599)


async def fetch_rates(ctx: JobContext, payload: FetchRatesPayload) -> dict[str, Any]:
    params: dict[str, Any] = {
        "base": payload.base,
        "symbols": ",".join(payload.symbols),
        "latency_ms": payload.latency_ms,
    }
    if payload.simulate_status is not None:
        params["status"] = payload.simulate_status
    response = await ctx.http.get(f"{ctx.stub_url}/rates", params=params)
    response.raise_for_status()
    body = response.json()
    return {"base": body["base"], "rates": body["rates"]}

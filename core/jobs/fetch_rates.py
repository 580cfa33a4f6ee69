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
    # How long the external service takes to answer (the stub honours it).
    latency_ms: int = Field(100, ge=0, le=5000)


async def fetch_rates(ctx: JobContext, payload: FetchRatesPayload) -> dict[str, Any]:
    params: dict[str, Any] = {
        "base": payload.base,
        "symbols": ",".join(payload.symbols),
        "latency_ms": payload.latency_ms,
    }
    # A redelivered job calls again (at-least-once): the job id as idempotency key lets
    # a service that honours it answer the repeat without acting twice.
    headers = {"Idempotency-Key": str(ctx.job_id)}
    response = await ctx.http.get(f"{ctx.stub_url}/rates", params=params, headers=headers)
    response.raise_for_status()
    body = response.json()
    return {"base": body["base"], "rates": body["rates"]}

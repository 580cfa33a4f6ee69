"""GET /metrics/loop-lag: the API's event-loop lag probe, off unless LOOP_LAG_PROBE_MS."""

import asyncio
import time

import httpx

from core.settings import Settings
from tests.helpers import api


async def test_probe_records_a_blocked_loop(settings: Settings) -> None:
    async with api.running(settings.model_copy(update={"loop_lag_probe_ms": 5})) as (_, client):
        await asyncio.sleep(0.3)
        calm = (await client.get("/metrics/loop-lag", params={"reset": True})).json()
        await asyncio.sleep(0.05)
        time.sleep(0.25)  # what a blocking call on the event loop does  # noqa: ASYNC251
        await asyncio.sleep(0.05)
        blocked = (await client.get("/metrics/loop-lag")).json()
    assert calm["samples"] > 10 and calm["interval_ms"] == 5
    assert blocked["max_ms"] >= 200  # the probe woke a quarter of a second late
    assert calm["max_ms"] < blocked["max_ms"]


async def test_probe_off_mounts_no_metrics_route(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics/loop-lag")).status_code == 404
    assert not any(
        path.startswith("/metrics") for path in (await client.get("/openapi.json")).json()["paths"]
    )

"""GET /metrics/loop-lag: the event-loop lag probe's figures since the last reset. Mounted
only while the probe runs (LOOP_LAG_PROBE_MS > 0; the benchmark turns it on)."""

from fastapi import APIRouter, Request

from api.loop_lag import LoopLag, LoopLagFigures

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.get("/loop-lag")
async def loop_lag(request: Request, reset: bool = False) -> LoopLagFigures:
    probe: LoopLag = request.app.state.loop_lag
    return probe.read(reset)

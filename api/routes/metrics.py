"""GET /metrics/loop-lag: the event-loop lag probe's figures since the last reset. Mounted
only while the probe runs (LOOP_LAG_PROBE_MS > 0; the benchmark turns it on)."""

from fastapi import APIRouter

from api.deps import LoopLagDep
from api.loop_lag import LoopLagFigures

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.get("/loop-lag")
async def loop_lag(probe: LoopLagDep, reset: bool = False) -> LoopLagFigures:
    assert probe is not None, "mounted only while the probe runs"
    return probe.read(reset)

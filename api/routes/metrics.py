"""GET /metrics/loop-lag: the event-loop lag probe's figures since the last reset."""

from fastapi import APIRouter, HTTPException, Request, status

from api.loop_lag import LoopLag, LoopLagFigures

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.get("/loop-lag", responses={404: {"description": "The probe is off"}})
async def loop_lag(request: Request, reset: bool = False) -> LoopLagFigures:
    probe: LoopLag | None = request.app.state.loop_lag
    if probe is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="loop-lag probe is off (LOOP_LAG_PROBE_MS=0)"
        )
    return probe.read(reset)

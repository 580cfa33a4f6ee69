"""How late the API's event loop wakes up: a probe task sleeps a fixed interval and
records how much later than asked it ran again. Anything blocking the loop (a
synchronous publish, a CPU-heavy handler) shows up here before it shows up anywhere
else. On with LOOP_LAG_PROBE_MS > 0 (the benchmark turns it on); read and reset through
GET /metrics/loop-lag."""

import asyncio
import statistics
import time
from collections import deque

from pydantic import BaseModel

MAX_SAMPLES = 100_000


class LoopLagFigures(BaseModel):
    interval_ms: int
    samples: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class LoopLag:
    def __init__(self, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self.lags: deque[float] = deque(maxlen=MAX_SAMPLES)

    async def run(self) -> None:
        interval = self.interval_ms / 1000
        while True:  # perf_counter: uvloop's loop.time() only counts whole milliseconds
            asked = time.perf_counter() + interval
            await asyncio.sleep(interval)
            self.lags.append(max(0.0, time.perf_counter() - asked))

    def read(self, reset: bool) -> LoopLagFigures:
        lags = sorted(self.lags)
        if reset:
            self.lags.clear()
        if not lags:
            return LoopLagFigures(
                interval_ms=self.interval_ms, samples=0, p50_ms=None, p99_ms=None, max_ms=None
            )
        # The harness's percentile (bench/stats.py): the standard library's inclusive method.
        p99 = (
            statistics.quantiles(lags, n=100, method="inclusive")[98] if len(lags) > 1 else lags[0]
        )
        return LoopLagFigures(
            interval_ms=self.interval_ms,
            samples=len(lags),
            p50_ms=round(1000 * statistics.median(lags), 3),
            p99_ms=round(1000 * p99, 3),
            max_ms=round(1000 * lags[-1], 3),
        )

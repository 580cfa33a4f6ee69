"""Pure statistics over saved timings. No I/O: every function is checked by hand
against small fixtures in tests/bench/test_stats.py."""

import math
import random
import statistics
from collections.abc import Iterable, Sequence

from bench.results import Interval, Percentiles
from core.contract import FINISHED


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def percentiles(values: Sequence[float]) -> Percentiles:
    return Percentiles(
        p50=percentile(values, 50), p95=percentile(values, 95), p99=percentile(values, 99)
    )


def throughput(finished: Iterable[float], start: float, end: float) -> float:
    """Completions per second with finish time in [start, end)."""
    if end <= start:
        return 0.0
    return sum(1 for t in finished if start <= t < end) / (end - start)


def drain_window(finished: Sequence[float], trim: float = 0.1) -> tuple[float, float]:
    """The steady part of a drain: between the 10th and 90th percentile of finish
    times, which drops the ramp-up of worker start and the ragged tail."""
    lo, hi = percentile(finished, 100 * trim), percentile(finished, 100 * (1 - trim))
    if lo is None or hi is None:
        return 0.0, 0.0
    return lo, hi


def per_second(times: Iterable[float], start: float, end: float) -> list[float]:
    """Count of events in each whole second from `start` (bins [start+k, start+k+1))."""
    bins = [0.0] * max(0, math.ceil(end - start))
    for t in times:
        k = math.floor(t - start)
        if 0 <= k < len(bins):
            bins[k] += 1
    return bins


def median_interval(
    values: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Interval:
    """Median with a percentile-bootstrap interval (seeded: same data, same interval)."""
    if not values:
        return Interval(median=None, lo=None, hi=None, n=0)
    median = statistics.median(values)
    if len(values) == 1:
        return Interval(median=median, lo=median, hi=median, n=1)
    rng = random.Random(seed)
    boots = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - confidence) / 2 * 100
    lo, hi = percentile(boots, tail), percentile(boots, 100 - tail)
    assert lo is not None and hi is not None
    return Interval(median=median, lo=lo, hi=hi, n=len(values))


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> Interval:
    """Ratio per repetition pair (interleaved runs share their noise), then the median."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=True) if d > 0]
    return median_interval(ratios)


def count_lost(statuses: Iterable[str]) -> int:
    """Accepted jobs that never reached done or failed."""
    return sum(1 for s in statuses if s not in FINISHED)


def count_repeats(calls_per_job: Iterable[int]) -> int:
    """Calls beyond the first, summed over jobs."""
    return sum(n - 1 for n in calls_per_job if n > 1)

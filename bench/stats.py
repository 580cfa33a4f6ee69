"""Pure statistics over saved timings (no I/O), checked against hand-computed
fixtures in tests/bench/test_stats.py. Intervals say what coverage they have:

- one variant's figure over repetitions: the median with an order-statistic interval
  (distribution-free); it reaches 95% only from 6 repetitions, and fewer get the
  coverage they really have (5: [min, max] = 93.8%);
- a Taskiq / Celery ratio: a t-interval on the paired log-ratios (each repetition's
  pair ran back to back, so they share the host's drift), reported as the geometric
  mean ratio; it needs at least 2 pairs, and the verdict at least MIN_PAIRS.
"""

import math
import statistics
from collections.abc import Iterable, Sequence

from scipy import stats as scipy_stats

from bench.summary import Interval, Percentiles, Ratio
from core.contract import FINISHED

CONFIDENCE = 0.95
MIN_PAIRS = 3  # fewer paired repetitions give no verdict, whatever the interval says
# A ratio within this of 1 is no difference a team should act on (a run's --margin).
PRACTICAL_MARGIN = 0.05
RATIO_METHOD = "t-interval on paired log-ratios"
# What a Taskiq / Celery ratio above or below 1 says: of throughput, of an e2e p99
FASTER = ("Taskiq faster", "Celery faster")
P99_LOWER = ("Taskiq's p99 higher", "Taskiq's p99 lower")


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile (1..99): the standard library's inclusive method, linear
    between closest ranks (numpy's default); the API's loop-lag probe uses the same."""
    if not values:
        return None
    if len(values) == 1 or q <= 0:
        return float(min(values))
    if q >= 100:
        return float(max(values))
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def percentiles(values: Sequence[float]) -> Percentiles:
    return Percentiles(
        p50=percentile(values, 50), p95=percentile(values, 95), p99=percentile(values, 99)
    )


def per_second(times: Iterable[float], start: float, end: float) -> list[float]:
    """Count of events in each whole second from `start` (bins [start+k, start+k+1))."""
    bins = [0.0] * max(0, math.ceil(end - start))
    for t in times:
        k = math.floor(t - start)
        if 0 <= k < len(bins):
            bins[k] += 1
    return bins


def median_coverage(n: int, j: int) -> float:
    """Coverage of [x_(j), x_(n+1-j)] (1-based order statistics) for the median."""
    return float(1 - 2 * scipy_stats.binom.cdf(j - 1, n, 0.5))


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """The median with the narrowest symmetric order-statistic interval that reaches
    `confidence`, or [min, max] and its own, lower coverage when n is too small."""
    if not values:
        return Interval(median=None, lo=None, hi=None, n=0, coverage=None)
    ordered, n = sorted(values), len(values)
    median = statistics.median(ordered)
    if n == 1:
        return Interval(median=median, lo=None, hi=None, n=1, coverage=None)
    j = 1
    while j + 1 <= n // 2 and median_coverage(n, j + 1) >= confidence:
        j += 1
    return Interval(
        median=median,
        lo=ordered[j - 1],
        hi=ordered[n - j],
        n=n,
        coverage=median_coverage(n, j),
    )


def paired_ratio(
    numerators: Sequence[float],
    denominators: Sequence[float],
    confidence: float = CONFIDENCE,
    counts: Sequence[tuple[int, int]] | None = None,
) -> Ratio:
    """Geometric mean of per-repetition ratios with a t-interval on their logs. `counts`: the
    jobs each figure counted (a rate's resolution is one job per window): the SD of the logs
    is then never below that resolution's, 1/12 (1/a^2 + 1/b^2) as a variance, so that
    repetitions that counted the same jobs do not make a zero-width interval."""
    known: Sequence[tuple[int, int] | None] = counts or [None] * len(numerators)
    triples = zip(numerators, denominators, known, strict=True)
    kept = [(a, b, c) for a, b, c in triples if a > 0 and b > 0]
    logs = [math.log(a / b) for a, b, _ in kept]
    floors = [(1 / c[0] ** 2 + 1 / c[1] ** 2) / 12 for _, _, c in kept if c and min(c) > 0]
    n = len(logs)
    if n == 0:
        return Ratio(point=None, lo=None, hi=None, n=0, confidence=confidence, method=RATIO_METHOD)
    mean = statistics.fmean(logs)
    if n == 1:
        return Ratio(
            point=math.exp(mean), lo=None, hi=None, n=1, confidence=confidence, method=RATIO_METHOD
        )
    sd = statistics.stdev(logs)
    if floors:
        sd = max(sd, math.sqrt(statistics.fmean(floors)))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Ratio(
        point=math.exp(mean),
        lo=math.exp(mean - half),
        hi=math.exp(mean + half),
        n=n,
        confidence=confidence,
        method=RATIO_METHOD,
    )


def verdict(ratio: Ratio, higher_is: str, lower_is: str) -> str:
    """What a ratio says, or why it says nothing."""
    if ratio.point is None:
        return "not compared"
    if ratio.n < MIN_PAIRS or ratio.lo is None or ratio.hi is None:
        return f"no verdict (n={ratio.n} < {MIN_PAIRS} pairs)"
    if ratio.lo > 1.0:
        return higher_is
    if ratio.hi < 1.0:
        return lower_is
    return "no clear difference"


def count_lost(statuses: Iterable[str]) -> int:
    """Accepted jobs that never reached done or failed."""
    return sum(1 for s in statuses if s not in FINISHED)


def count_repeats(calls_per_job: Iterable[int]) -> int:
    """Calls beyond the first, summed over jobs."""
    return sum(n - 1 for n in calls_per_job if n > 1)


def practical_verdict(ratio: Ratio, margin: float, higher_is: str, lower_is: str) -> str:
    """What a ratio says against a margin of practical equivalence: a verdict needs the whole
    interval beyond 1 +/- margin; an interval inside [1/(1+m), 1+m] is no practical
    difference; one that crosses a bound settles nothing."""
    said = verdict(ratio, higher_is, lower_is)
    if said == "not compared" or said.startswith("no verdict"):
        return said
    assert ratio.lo is not None and ratio.hi is not None
    top, bottom = 1.0 + margin, 1.0 / (1.0 + margin)
    if ratio.lo > top:
        return higher_is
    if ratio.hi < bottom:
        return lower_is
    if bottom <= ratio.lo and ratio.hi <= top:
        return "no practical difference"
    return f"unsettled (interval crosses ±{margin:.0%})"


UNSETTLED = ("unsettled", "no verdict", "not compared")  # practical_verdict's non-decisions


def decided(verdict: str) -> bool:
    """A verdict of practical_verdict that decides: faster, lower, or no practical difference."""
    return not verdict.startswith(UNSETTLED)


def log_se(ratio: Ratio) -> float | None:
    """The standard error of a ratio's log, read back from its t-interval."""
    if ratio.lo is None or ratio.hi is None or ratio.n < 2 or ratio.lo <= 0:
        return None
    t = float(scipy_stats.t.ppf(0.5 + ratio.confidence / 2, ratio.n - 1))
    return (math.log(ratio.hi) - math.log(ratio.lo)) / (2 * t)


def widened(ratio: Ratio, tau: float) -> Ratio:
    """The ratio's interval with a between-session SD `tau` (of the log) added to its own
    standard error: what it must clear when sessions differ more than one session shows."""
    se = log_se(ratio)
    if se is None or ratio.point is None or tau <= 0:
        return ratio
    t = float(scipy_stats.t.ppf(0.5 + ratio.confidence / 2, ratio.n - 1))
    half = t * math.sqrt(se**2 + tau**2)
    centre = math.log(ratio.point)
    method = f"{ratio.method}, widened by a between-session SD of {tau:.3f}"
    return ratio.model_copy(
        update={"lo": math.exp(centre - half), "hi": math.exp(centre + half), "method": method}
    )


def between_sessions(pairs: Sequence[tuple[Ratio, Ratio]]) -> tuple[float, int, bool]:
    """Two sessions' ratios of the same comparisons: the between-session SD of the log-ratio
    beyond both standard errors (moment estimate: mean of (d^2 - se1^2 - se2^2) / 2, floored
    at 0), how many differ by more than their combined 95% bound (Welch's t on the two
    logs), and whether that count is more than 5% of them by chance allows (one-sided
    binomial test at 5%)."""
    terms, outside = [], 0
    for a, b in pairs:
        sa, sb = log_se(a), log_se(b)
        if sa is None or sb is None or a.point is None or b.point is None:
            continue
        d = math.log(b.point) - math.log(a.point)
        terms.append((d**2 - sa**2 - sb**2) / 2)
        var = sa**2 + sb**2
        df = var**2 / (sa**4 / (a.n - 1) + sb**4 / (b.n - 1)) if var > 0 else 1.0
        outside += abs(d) > float(scipy_stats.t.ppf(0.975, df)) * math.sqrt(var)
    if not terms:
        return 0.0, 0, False
    tau = math.sqrt(max(0.0, statistics.fmean(terms)))
    beyond = float(scipy_stats.binomtest(outside, len(terms), 0.05, "greater").pvalue) < 0.05
    return tau, outside, beyond

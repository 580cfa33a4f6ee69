"""Statistics against hand-computed fixtures."""

import math

import pytest

from bench import stats
from bench.summary import Interval, Ratio


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    # pos = 3 * q/100: p50 -> 1.5 -> 25; p95 -> 2.85 -> 38.5; p99 -> 2.97 -> 39.7
    assert stats.percentile(values, 50) == 25.0
    assert stats.percentile(values, 95) == pytest.approx(38.5)
    assert stats.percentile(values, 99) == pytest.approx(39.7)
    assert stats.percentile(values, 0) == 10.0 and stats.percentile(values, 100) == 40.0
    assert stats.percentile([7.0], 99) == 7.0
    assert stats.percentile([], 50) is None
    assert stats.percentile([3.0, 1.0, 2.0], 50) == 2.0  # order does not matter


def test_percentiles_bundle() -> None:
    p = stats.percentiles([float(v) for v in range(1, 101)])  # 1..100
    assert [p.p50, p.p95, p.p99] == pytest.approx([50.5, 95.05, 99.01])


def test_per_second_bins() -> None:
    assert stats.per_second([0.1, 0.9, 1.0, 2.5, 2.99, 3.0, -1.0], 0.0, 3.0) == [2.0, 1.0, 2.0]


def test_median_interval_has_the_coverage_it_claims() -> None:
    five = stats.median_interval([5.0, 1.0, 4.0, 2.0, 3.0])
    # [min, max] of 5 covers the median with 1 - 2 * 0.5**5 = 93.75%, not 95%.
    assert (five.median, five.lo, five.hi, five.n) == (3.0, 1.0, 5.0, 5)
    assert five.coverage == pytest.approx(0.9375)
    six = stats.median_interval([float(v) for v in range(1, 7)])
    assert (six.lo, six.hi) == (1.0, 6.0) and six.coverage == pytest.approx(1 - 2 / 64)
    # n = 10: [x2, x9] covers 1 - 2 * (1 + 10) / 1024 = 97.85%; [x3, x8] only 89%.
    ten = stats.median_interval([float(v) for v in range(10, 0, -1)])
    assert (ten.lo, ten.hi) == (2.0, 9.0)
    assert ten.coverage == pytest.approx(1 - 22 / 1024, abs=1e-4)
    one = stats.median_interval([7.0])
    assert (one.median, one.lo, one.hi, one.coverage) == (7.0, None, None, None)
    assert stats.median_interval([]) == Interval(median=None, lo=None, hi=None, n=0, coverage=None)


def test_paired_ratio_is_a_t_interval_on_log_ratios() -> None:
    r = stats.paired_ratio([20.0, 30.0, 44.0], [10.0, 10.0, 11.0])  # ratios 2, 3, 4
    logs = [math.log(2), math.log(3), math.log(4)]
    mean = sum(logs) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 2)
    half = 4.302652729911275 * sd / math.sqrt(3)  # t(0.975, df=2), from tables
    assert r.point == pytest.approx(24 ** (1 / 3))  # geometric mean of 2, 3, 4
    assert r.lo == pytest.approx(math.exp(mean - half))
    assert r.hi == pytest.approx(math.exp(mean + half))
    assert (r.n, r.confidence) == (3, 0.95) and "paired log-ratios" in r.method
    assert stats.paired_ratio([5.0], [0.0]).n == 0  # a zero baseline is not a ratio
    single = stats.paired_ratio([3.0], [1.5])
    assert single.point == pytest.approx(2.0) and (single.lo, single.hi) == (None, None)
    with pytest.raises(ValueError):
        stats.paired_ratio([1.0], [1.0, 2.0])


def test_identical_counts_keep_the_interval_of_their_resolution() -> None:
    """Prefork's sleep drain counted 48 and 52 jobs in every repetition: the logs' SD is 0,
    but a count is only known to a job, so the interval keeps that resolution's width."""
    rates = ([16.0] * 3, [52 / 3] * 3)
    bare = stats.paired_ratio(*rates)
    assert bare.lo == bare.hi  # what the t-interval alone says
    counted = stats.paired_ratio(*rates, counts=[(48, 52)] * 3)
    assert counted.point is not None and counted.point == bare.point
    assert counted.lo is not None and counted.hi is not None
    sd = math.sqrt((1 / 48**2 + 1 / 52**2) / 12)
    half = 4.302652729911275 * sd / math.sqrt(3)  # t(0.975, 2 df)
    assert math.log(counted.hi / counted.point) == pytest.approx(half)
    # repetitions that differ by more than a job keep their own, wider, interval
    spread = ([16.0, 14.0, 18.0], [52 / 3] * 3)
    assert stats.paired_ratio(*spread, counts=[(48, 52), (42, 52), (54, 52)]) == (
        stats.paired_ratio(*spread)
    )


def test_no_verdict_below_the_minimum_pairs_or_across_one() -> None:
    def ratio(lo: float, hi: float, n: int) -> Ratio:
        return Ratio(point=(lo * hi) ** 0.5, lo=lo, hi=hi, n=n, confidence=0.95, method="t")

    assert stats.verdict(ratio(1.1, 1.4, 5), "up", "down") == "up"
    assert stats.verdict(ratio(0.6, 0.9, 5), "up", "down") == "down"
    assert stats.verdict(ratio(0.9, 1.2, 5), "up", "down") == "no clear difference"
    assert stats.verdict(ratio(1.5, 1.6, 2), "up", "down").startswith("no verdict (n=2")
    assert (
        stats.verdict(
            Ratio(point=None, lo=None, hi=None, n=0, confidence=0.95, method="t"), "u", "d"
        )
        == "not compared"
    )


def test_lost_and_duplicates() -> None:
    assert stats.count_lost(["done", "failed", "queued", "running", "done"]) == 2
    assert stats.count_repeats([1, 3, 0, 2]) == 3  # two extra calls, then one
    assert stats.count_repeats([]) == 0


def test_practical_verdict_needs_the_interval_beyond_the_margin() -> None:
    def r(lo: float, hi: float, n: int = 5) -> Ratio:
        return Ratio(point=(lo * hi) ** 0.5, lo=lo, hi=hi, n=n, confidence=0.95, method="t")

    say = ("B faster", "A faster")
    assert stats.practical_verdict(r(1.06, 1.2), 0.05, *say) == "B faster"
    assert stats.practical_verdict(r(0.8, 0.94), 0.05, *say) == "A faster"
    assert stats.practical_verdict(r(1.01, 1.04), 0.05, *say) == "no practical difference"
    assert stats.practical_verdict(r(0.96, 1.03), 0.05, *say) == "no practical difference"
    assert stats.practical_verdict(r(1.02, 1.08), 0.05, *say) == "unsettled (interval crosses ±5%)"
    assert stats.practical_verdict(r(0.90, 1.10), 0.05, *say) == "unsettled (interval crosses ±5%)"
    assert stats.practical_verdict(r(1.2, 1.3, n=2), 0.05, *say).startswith("no verdict")
    # a margin of 0 is the statistical reading
    assert stats.practical_verdict(r(1.01, 1.04), 0.0, *say) == "B faster"

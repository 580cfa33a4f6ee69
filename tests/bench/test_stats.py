"""Statistics against hand-computed fixtures."""

import pytest

from bench import stats
from bench.results import Interval


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


def test_throughput_counts_half_open_window() -> None:
    finished = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 9.0]
    # [1, 3): 1.0, 1.5, 2.0, 2.5 -> 4 completions over 2 s
    assert stats.throughput(finished, 1.0, 3.0) == 2.0
    assert stats.throughput(finished, 3.0, 3.0) == 0.0


def test_drain_window_trims_ramp_and_tail() -> None:
    finished = [float(t) for t in range(11)]  # 0..10
    assert stats.drain_window(finished) == (1.0, 9.0)
    assert stats.drain_window([]) == (0.0, 0.0)


def test_per_second_bins() -> None:
    assert stats.per_second([0.1, 0.9, 1.0, 2.5, 2.99, 3.0, -1.0], 0.0, 3.0) == [2.0, 1.0, 2.0]


def test_median_interval() -> None:
    one = stats.median_interval([5.0])
    assert (one.median, one.lo, one.hi, one.n) == (5.0, 5.0, 5.0, 1)
    three = stats.median_interval([1.0, 2.0, 10.0])
    assert three.median == 2.0 and three.n == 3
    # A bootstrap median of 3 values is always one of them: the interval spans them.
    assert three.lo == 1.0 and three.hi == 10.0
    same = stats.median_interval([4.0, 4.0, 4.0, 4.0])
    assert (same.lo, same.hi) == (4.0, 4.0)
    assert stats.median_interval([1.0, 2.0, 10.0]) == three  # seeded: deterministic
    assert stats.median_interval([]) == Interval(median=None, lo=None, hi=None, n=0)


def test_paired_ratio() -> None:
    ratio = stats.paired_ratio([20.0, 30.0, 44.0], [10.0, 10.0, 11.0])  # 2, 3, 4
    assert ratio.median == 3.0 and ratio.lo == 2.0 and ratio.hi == 4.0
    assert stats.paired_ratio([5.0], [0.0]).n == 0  # a zero baseline is not a ratio
    with pytest.raises(ValueError):
        stats.paired_ratio([1.0], [1.0, 2.0])


def test_lost_and_duplicates() -> None:
    assert stats.count_lost(["done", "failed", "queued", "running", "done"]) == 2
    assert stats.count_repeats([1, 3, 0, 2]) == 3  # two extra calls, then one
    assert stats.count_repeats([]) == 0

"""A second session of a profile against the first: the verdicts it reproduced, the largest
change, and, when the sessions differ by more than their intervals allow, the first run's
verdicts read on intervals widened by that spread (and said so on the page)."""

import math
from pathlib import Path

import pytest

from bench import report, stats
from bench.analyse.replicate import replicate, reread
from bench.summary import Ratio, Summary
from tests.bench.test_report import make_summary

METHOD = stats.RATIO_METHOD


def ratio(point: float, half: float, n: int = 5) -> Ratio:
    """A ratio whose log interval is point x/÷ exp(half)."""
    return Ratio(point=point, lo=point / math.exp(half), hi=point * math.exp(half), n=n,
                 confidence=0.95, method=METHOD)  # fmt: skip


def moved(summary: Summary, factor: float) -> Summary:
    """The same run as a second session whose every throughput ratio moved by `factor`."""
    second = summary.model_copy(deep=True)
    second.run_id, second.started = "20261125-130000", "2026-11-25T13:00:00+00:00"
    for c in second.comparisons:
        r = c.throughput_ratio
        if r.point and r.lo and r.hi:
            c.throughput_ratio = r.model_copy(
                update={"point": r.point * factor, "lo": r.lo * factor, "hi": r.hi * factor}
            )
    return second


def test_sessions_that_agree_add_no_spread() -> None:
    pairs = [(ratio(1.2, 0.05), ratio(1.2 * math.exp(d), 0.05)) for d in (0.01, -0.01, 0.0, 0.02)]
    tau, outside, beyond = stats.between_sessions(pairs)
    assert (tau, outside, beyond) == (0.0, 0, False)


def test_more_moved_than_chance_but_no_spread_beyond_the_intervals_widens_nothing() -> None:
    """Two narrow comparisons far apart, many wide ones that agree: the moment estimate is 0,
    so nothing may be said to be widened, whatever the count of those that moved."""
    far = [(ratio(1.0, 0.01), ratio(1.1, 0.01)) for _ in range(3)]
    wide = [(ratio(1.0, 1.5), ratio(1.0, 1.5)) for _ in range(3)]
    tau, outside, beyond = stats.between_sessions(far + wide)
    assert outside == 3 and beyond and tau == 0.0
    first = make_summary()
    second = moved(first, 1.0)
    rep = replicate(first, second)
    assert not any(rep.widen.values())


def test_sessions_further_apart_than_their_intervals_widen_them() -> None:
    # every pair 0.3 apart in log, each interval +-0.05: the spread is the sessions'
    pairs = [(ratio(p, 0.05), ratio(p * math.exp(0.3), 0.05)) for p in (0.8, 1.0, 1.2, 1.5, 2.0)]
    tau, outside, beyond = stats.between_sessions(pairs)
    assert outside == 5 and beyond and 0.19 < tau < 0.22  # sqrt((0.09 - 2 se^2) / 2)
    wide = stats.widened(ratio(1.2, 0.05), tau)
    assert wide.lo is not None and wide.hi is not None and wide.lo < 1.0 < wide.hi
    assert "widened by a between-session SD" in wide.method


def test_a_replicated_run_says_what_it_reproduced(tmp_path: Path) -> None:
    first = make_summary(latency=True)
    first.dump(tmp_path)
    same = replicate(first, moved(first, 1.0))
    assert not any(same.widen.values())
    rows = {(r.scenario, r.load, r.mode, r.figure) for r in same.rows}
    assert ("fetch_rates", "latency 50%", "in-flight", "e2e p99") in rows  # by share
    assert ("noop", "drain", "processes", "jobs/s") in rows
    assert all(r.first_verdict == r.second_verdict for r in same.rows)

    shifted = replicate(first, moved(first, 1.4))
    assert shifted.widen["jobs/s"] and not shifted.widen.get("e2e p99")
    shifted.dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    section = md.split("## Does it replicate?")[1].split("\n## ")[0]
    assert "The second run (20261125-130000" in section
    assert "Largest change of a ratio:" in section
    assert "this page reads every jobs/s ratio on its interval widened" in section
    # widened, fetch_rates drain (about 1.06x in-flight) no longer clears the margin
    answer = md.split("## The answer")[1].split("## Does it replicate?")[0]
    assert "Every jobs/s ratio here is read on its interval widened" in answer
    assert "Every e2e p99 ratio" not in answer  # the latency ratios did not move
    row = next(x for x in answer.splitlines() if x.startswith("| fetch_rates | drain |"))
    assert "unsettled" in row
    same.dump(tmp_path)
    plain = report.render(tmp_path)[0].read_text()
    row = next(x for x in plain.splitlines() if x.startswith("| fetch_rates | drain |"))
    assert "Taskiq faster" in row


def test_a_replication_from_an_older_harness_is_read_again_before_the_report(
    tmp_path: Path,
) -> None:
    """replication.json without the analysis's reading (version 1) renders only once the
    analysis has read it against the run, and then as one written now does."""
    first = make_summary(latency=True)
    first.dump(tmp_path)
    made_now = replicate(first, moved(first, 1.4))
    made_now.dump(tmp_path)
    expected = report.render(tmp_path)[0].read_text()
    older = made_now.model_copy(update={"version": 1, "reading": None})
    older.dump(tmp_path)
    with pytest.raises(ValueError, match="has no reading"):
        report.render(tmp_path)
    reread(first, tmp_path)
    assert report.render(tmp_path)[0].read_text() == expected

"""Does it replicate? A second session of the same profile against this run: how many of this
run's verdicts it reproduced, the largest change of a ratio, and whether the two sessions
differ by more than their intervals allow, in which case this page's verdicts are read on
intervals widened by that between-session spread (bench/report/index.py applies it)."""

import math

from bench import stats
from bench.report.blocks import Block, Bullets, Heading, Para, Table
from bench.report.format import ratio
from bench.summary import Ratio, Replicated, Replication

UNSETTLED = ("unsettled", "no verdict", "not compared")


def decided(verdict: str) -> bool:
    return not verdict.startswith(UNSETTLED)


def _widened(rep: Replication, row: Replicated) -> tuple[Ratio, Ratio]:
    tau = rep.tau.get(row.figure, 0.0) if rep.widen.get(row.figure) else 0.0
    return stats.widened(row.first, tau), stats.widened(row.second, tau)


def _words(row: Replicated) -> tuple[str, str]:
    return stats.P99_LOWER if row.figure == "e2e p99" else stats.FASTER


def tally(rep: Replication, widen: bool) -> tuple[int, int]:
    """Verdicts of the first run (decisions, not unsettled) and how many the second gave too."""
    made = same = 0
    for row in rep.rows:
        first, second = _widened(rep, row) if widen else (row.first, row.second)
        a = stats.practical_verdict(first, rep.margin, *_words(row))
        b = stats.practical_verdict(second, rep.margin, *_words(row))
        made += decided(a)
        same += decided(a) and a == b
    return made, same


def largest_change(rep: Replication) -> str:
    moved = [r for r in rep.rows if r.first.point and r.second.point]
    if not moved:
        return "no ratio in both runs"
    assert all(r.first.point and r.second.point for r in moved)
    row = max(moved, key=lambda r: abs(math.log((r.second.point or 1) / (r.first.point or 1))))
    return (
        f"{row.scenario} {row.load} ({row.mode}, {row.figure}): {ratio(row.first)} in this run, "
        f"{ratio(row.second)} in the second"
    )


def spread(rep: Replication) -> list[str]:
    out = []
    for figure, tau in sorted(rep.tau.items()):
        n = sum(1 for r in rep.rows if r.figure == figure)
        said = (
            f"{figure}: {rep.outside.get(figure, 0)} of {n} comparisons moved between the "
            f"sessions by more than their two intervals allow at 95%; the between-session SD "
            f"of the log-ratio beyond them is {tau:.3f} (a factor of {math.exp(tau):.3f})."
        )
        if rep.widen.get(figure):
            said += (
                " That is more than chance gives: the sessions differ by more than one "
                "session's intervals show, so this page reads every " + figure + " ratio on its "
                "interval widened by that SD."
            )
        else:
            said += " No more than chance gives: the verdicts stand on their own intervals."
        out.append(said)
    return out


def replication_blocks(rep: Replication | None) -> list[Block]:
    if rep is None:
        return []
    made, same = tally(rep, widen=False)
    rows = [
        [r.scenario, r.load, r.mode, r.figure, ratio(r.first), r.first_verdict,
         ratio(r.second), r.second_verdict, "yes" if r.first_verdict == r.second_verdict else "no"]
        for r in rep.rows
    ]  # fmt: skip
    bullets = [
        f"The second run ({rep.second_run}, started {rep.second_started}) reproduced {same} of "
        f"this run's {made} verdicts at ±{rep.margin:.0%} (a verdict: faster, lower or no "
        "practical difference; an unsettled comparison is none).",
        f"Largest change of a ratio: {largest_change(rep)}.",
        *spread(rep),
    ]
    if any(rep.widen.values()):
        wide_made, wide_same = tally(rep, widen=True)
        bullets.append(
            f"On the widened intervals this run gives {wide_made} verdicts, of which the second "
            f"run, widened likewise, reproduced {wide_same}."
        )
    headers = ["scenario", "load", "mode", "figure", "this run", "verdict", "second run"]
    headers += ["verdict", "same"]
    return [
        Heading(2, "Does it replicate?"),
        Para(
            "The same profile run again, later, on the same machine, compared with this one "
            "comparison by comparison (latency ones by their share of capacity, since each run "
            "sets its own rates). Each ratio and verdict below is its own session's."
        ),
        Bullets(bullets),
        Table(headers, rows, empty="The two runs share no comparison."),
    ]

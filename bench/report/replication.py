"""Does it replicate? A second session of the same profile against this run: how many of this
run's verdicts it reproduced, the largest change of a ratio, and whether the two sessions
differ by more than their intervals allow, in which case this page's verdicts are read on
intervals widened by that between-session spread (the analysis's reading,
bench/analyse/replicate.py; this renders it)."""

import math

from bench.replication import Reading, Replication
from bench.report.blocks import Block, Bullets, Heading, Para, Table
from bench.report.format import ratio


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


def read(rep: Replication) -> Reading:
    """The analysis's reading of the run in the replication's light (always there once the
    analysis has read the run: `python -m bench report` or `publish`)."""
    if rep.reading is None:
        raise ValueError(
            f"{rep.FILE} of {rep.first_run} has no reading: `python -m bench report` the run"
        )
    return rep.reading


def replication_blocks(rep: Replication | None) -> list[Block]:
    if rep is None:
        return []
    reading = read(rep)
    made, same = reading.verdicts, reading.reproduced
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
        bullets.append(
            f"On the widened intervals this run gives {reading.widened_verdicts} verdicts, of "
            f"which the second run, widened likewise, reproduced {reading.widened_reproduced}."
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

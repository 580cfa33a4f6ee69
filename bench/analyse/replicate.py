"""Two sessions of one profile: does the second reproduce the first's verdicts? Matches their
Taskiq / Celery comparisons (a latency comparison by its share, its rate being the run's own;
the others by their load), reads each against the first run's margin, and estimates how far
the sessions differ beyond what their intervals allow; where more than chance gives, the
first run's verdicts are read on intervals widened by that spread. Reads two summaries; the
first run's replication.json, with that reading, is what it writes."""

from collections.abc import Callable
from pathlib import Path

from bench import stats
from bench.replication import Reading, Replicated, Replication
from bench.spec.models import Model
from bench.summary import Comparison, Ratio, Summary

Key = tuple[str, str, str, str]  # scenario, load in words, mode, figure
Pick = tuple[str, Callable[[Comparison], Ratio | None], tuple[str, str]]


def _figures(c: Comparison) -> list[Pick]:
    if c.model == Model.latency:
        return [("e2e p99", lambda c: c.e2e_p99_ratio, stats.P99_LOWER)]
    return [("jobs/s", lambda c: c.throughput_ratio, stats.FASTER)]


def _load(c: Comparison) -> str:
    if c.model == Model.latency:
        return f"latency {c.share:.0%}" if c.share is not None else f"latency {c.load:g}"
    return str(Model.drain) if c.model == Model.drain else f"{c.model} {c.load:g}"


def _index(summary: Summary) -> dict[Key, tuple[Ratio, tuple[str, str]]]:
    out = {}
    for c in summary.comparisons:
        if c.rtt_ms is not None:
            continue
        for figure, pick, words in _figures(c):
            r = pick(c)
            if r is not None:
                out[(c.scenario, _load(c), c.mode, figure)] = (r, words)
    return out


def replicate(first: Summary, second: Summary) -> Replication:
    a, b = _index(first), _index(second)
    rows = []
    for key in [k for k in a if k in b]:
        (ra, words), (rb, _) = a[key], b[key]
        rows.append(
            Replicated(
                scenario=key[0], load=key[1], mode=key[2], figure=key[3], first=ra, second=rb,
                first_verdict=stats.practical_verdict(ra, first.margin, *words),
                second_verdict=stats.practical_verdict(rb, first.margin, *words),
            )
        )  # fmt: skip
    out = Replication(
        first_run=first.run_id, second_run=second.run_id, second_started=second.started,
        margin=first.margin, rows=rows,
    )  # fmt: skip
    for figure in sorted({r.figure for r in rows}):
        tau, outside, beyond = stats.between_sessions(
            [(r.first, r.second) for r in rows if r.figure == figure]
        )
        # More moved than chance gives, yet no spread beyond the intervals on average (wide
        # ones pull the estimate to 0): nothing to widen by, so no widening is claimed.
        out.tau[figure], out.outside[figure], out.widen[figure] = tau, outside, beyond and tau > 0
    out.reading = reading(first, out)
    return out


def _tau(rep: Replication, figure: str) -> float:
    """How much wider a figure's intervals are read: its tau where it is widened, else 0."""
    return rep.tau.get(figure, 0.0) if rep.widen.get(figure) else 0.0


def widened(c: Comparison, rep: Replication) -> Comparison:
    """A comparison whose ratios are read on intervals widened by the between-session spread."""
    update = {}
    if tau := _tau(rep, "jobs/s"):
        update["throughput_ratio"] = stats.widened(c.throughput_ratio, tau)
    if (tau := _tau(rep, "e2e p99")) and c.e2e_p99_ratio is not None:
        update["e2e_p99_ratio"] = stats.widened(c.e2e_p99_ratio, tau)
    return c.model_copy(update=update) if update else c


def tally(rep: Replication, widen: bool) -> tuple[int, int]:
    """Verdicts of the first run (decisions, not unsettled) and how many the second gave too."""
    made = same = 0
    for row in rep.rows:
        tau = _tau(rep, row.figure) if widen else 0.0
        words = stats.P99_LOWER if row.figure == "e2e p99" else stats.FASTER
        a = stats.practical_verdict(stats.widened(row.first, tau), rep.margin, *words)
        b = stats.practical_verdict(stats.widened(row.second, tau), rep.margin, *words)
        made += stats.decided(a)
        same += stats.decided(a) and a == b
    return made, same


def reading(summary: Summary, rep: Replication) -> Reading:
    """The run's verdicts as the replication says to read them."""
    made, same = tally(rep, widen=False)
    out = Reading(
        comparisons=[widened(c, rep) for c in summary.comparisons if c.rtt_ms is None],
        verdicts=made, reproduced=same,
    )  # fmt: skip
    if any(rep.widen.values()):
        out.widened_verdicts, out.widened_reproduced = tally(rep, widen=True)
    return out


def reread(summary: Summary, run_dir: Path) -> Replication | None:
    """The run's replication.json, if it has one, read again against this summary of the run
    (rebuilt, or at another margin) and written back; None without one."""
    if not (run_dir / Replication.FILE).exists():
        return None
    rep = Replication.load(run_dir)
    rep.reading = reading(summary, rep)
    rep.dump(run_dir)
    return rep

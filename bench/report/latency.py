"""Latency in the answer: under Poisson arrivals at shares of the slower variant's drain
rate, each variant's queue wait and end-to-end p50 / p95 / p99 (median over repetitions
[interval]), whether the generator kept its schedule, and per fairness mode Taskiq /
Celery of the e2e p99 with both readings; a forest plot of those ratios."""

import statistics

from bench import stats
from bench.report import charts
from bench.report.blocks import Block, Chart, Heading, Para, Table
from bench.report.charts import ForestRow
from bench.report.format import DASH, interval, num, ratio
from bench.report.index import Run, widened_note
from bench.summary import LATENCY_KEPT, STEADY, Comparison, Group, Ratio

AXIS = "Taskiq / Celery end-to-end p99 (log scale; < 1: Taskiq's lower)"
PERCENTILES = ("p50", "p95", "p99")


def share_label(share: float | None, load: float) -> str:
    return f"{share:.0%} = {load:g} jobs/s" if share is not None else f"{load:g} jobs/s"


def e2e_p99(c: Comparison) -> Ratio:
    assert c.e2e_p99_ratio is not None
    return c.e2e_p99_ratio


def kept(run: Run, group: Group) -> list[str]:
    """What the generator did, over the group's repetitions: arrivals due and accepted per
    second (medians; the least accepted share), and the worst p99 of its send lateness."""
    cells = [c for c in run.latency_cells(group) if c.arrivals and c.arrivals.due]
    if not cells:
        return [DASH, DASH, DASH]
    due = statistics.median(c.arrivals.due / c.window_s for c in cells if c.arrivals)
    accepted = statistics.median(c.arrivals.accepted / c.window_s for c in cells if c.arrivals)
    least = min(c.arrivals.accepted / c.arrivals.due for c in cells if c.arrivals)
    late = max(c.arrivals.late_p99_ms or 0.0 for c in cells if c.arrivals)
    posts = [c.arrivals.post_p99_ms for c in cells if c.arrivals and c.arrivals.post_p99_ms]
    done = statistics.median(c.throughput for c in cells)
    over = sum(1 for c in cells if c.overloaded)
    said = f"{num(due)} / {num(accepted)} ({least:.1%}) / {num(done)}"
    said += f", overloaded in {over} of {len(cells)}" if over else ""
    return [said, num(late), num(statistics.median(posts)) if posts else DASH]


def figures_table(run: Run) -> Table:
    headers = ["scenario", "offered", "variant", "jobs/s due / accepted / done", "sent late p99 ms"]
    headers.append("POST p99 ms")
    headers += [f"queue wait {p}" for p in PERCENTILES] + [f"e2e {p}" for p in PERCENTILES]
    order = {m.key: n for n, m in enumerate(run.modes)}
    rows = []
    for c in sorted(run.latency_comparisons, key=lambda c: (c.scenario, order[c.mode], c.load)):
        label = share_label(c.share, c.load)
        for variant, against in ((c.celery, "taskiq"), ("taskiq", c.celery)):
            g = run.latency_group(c.scenario, c.load, variant, against)
            if g is None:
                continue
            waits = [g.queue_wait_p50, g.queue_wait_p95, g.queue_wait_p99]
            e2e = [g.e2e_p50, g.e2e_p95, g.e2e_p99]
            rows.append([c.scenario, label, variant, *kept(run, g), *map(interval, waits + e2e)])
    return Table(headers, rows, empty="No latency cell ran in this run.")


def ratio_table(run: Run, margin: float) -> tuple[Table, list[ForestRow]]:
    keys = list(dict.fromkeys((c.scenario, c.share) for c in run.latency_comparisons))
    headers, groups = ["scenario", "share of capacity"], [("", "", 2)]
    for mode in run.modes:
        headers += ["offered jobs/s", "taskiq / celery e2e p99", f"verdict (±{margin:.0%})"]
        headers += ["interval vs 1", "taskiq / celery queue wait p99"]
        groups.append((mode.title, f"{mode.title}: {mode.celery} against taskiq", 5))
    rows, forest = [], []
    for scenario, share in keys:
        row = [scenario, f"{share:.0%}" if share is not None else DASH]
        for mode in run.modes:
            c = next(
                (
                    c
                    for c in run.latency_comparisons
                    if (c.scenario, c.share, c.mode) == (scenario, share, mode.key)
                ),
                None,
            )
            if c is None or c.e2e_p99_ratio is None:
                row += [DASH] * 5
                continue
            r = c.e2e_p99_ratio
            row += [f"{c.load:g}", ratio(r), stats.practical_verdict(r, margin, *stats.P99_LOWER)]
            wait = c.queue_wait_p99_ratio
            row += [stats.verdict(r, *stats.P99_LOWER), ratio(wait) if wait else DASH]
            label = f"{scenario} {share_label(share, c.load)} ({mode.key})"
            forest.append(ForestRow(label, mode.key, r))
        rows.append(row)
    return Table(headers, rows, groups), forest


def coverage(run: Run) -> str:
    """What the per-variant intervals cover, by their number of repetitions."""
    seen = {
        (g.e2e_p99.n, g.e2e_p99.coverage)
        for c in run.latency_comparisons
        for v, a in ((c.celery, "taskiq"), ("taskiq", c.celery))
        if (g := run.latency_group(c.scenario, c.load, v, a)) and g.e2e_p99.coverage
    }
    return ", ".join(f"{cov:.1%} with {n} repetitions" for n, cov in sorted(seen)) or DASH


def method_note(run: Run) -> str:
    n = "/".join(map(str, sorted({e2e_p99(c).n for c in run.latency_comparisons})))
    return " ".join(
        [
            "Each latency cell offers arrivals of a seeded Poisson process (the same arrivals",
            "and jobs for both variants of a pair) at a share of the slower variant's median",
            "drain rate in this run; its generator sends each one at its time in a greenlet of",
            "its own and never waits for an answer. Due = the arrivals the schedule put in the",
            "measured window (about rate x window, give or take its square root); a cell that",
            f"sent or had accepted under {LATENCY_KEPT:.0%} of them is invalid and left out;",
            "sent late = how long after its due time an arrival was sent; done = finished in",
            f"the window. A cell that finished under {STEADY:.0%} of what it accepted was",
            "overloaded: its queue grew throughout, so its latencies grow with the window and",
            "say only that it could not keep up: its pair is left out of the p99 ratio. Queue",
            "wait = first start - enqueued, e2e = finished - enqueued, from the jobs table, for",
            "the jobs of the due arrivals (the POST before the insert is in neither: its p99",
            "is beside them);",
            "percentiles per cell, then the median over repetitions [order-statistic",
            f"interval; coverage {coverage(run)}]. Taskiq / Celery of the e2e p99: the",
            "geometric mean of paired",
            f"repetitions with a {stats.CONFIDENCE:.0%} {stats.RATIO_METHOD}, n = {n} pairs,",
            f"read against ±{run.s.margin:.0%} as throughput is. A p99 of a few hundred jobs",
            "rests on its few slowest: read it with its interval.",
        ]
    ) + widened_note(run, "e2e p99")


def latency_blocks(run: Run) -> list[Block]:
    if not run.latency_comparisons:
        return []
    table, forest = ratio_table(run, run.s.margin)
    return [
        Heading(3, "Latency under open load"),
        table,
        figures_table(run),
        Para(method_note(run)),
        Chart(
            "forest latency",
            "Taskiq / Celery end-to-end p99, every latency comparison",
            charts.forest_chart(
                forest, "Taskiq / Celery e2e p99 (interval; 1.0 = equal)", run.s.margin, AXIS
            ),
        ),
    ]

"""The report: reads only a saved `Summary` and writes report.md and report.html.

Both files come from one list of blocks (headings, paragraphs, bullet lists, tables,
charts), so they say the same thing; Markdown has no images, the HTML page inlines
every chart as <svg> and references nothing outside itself. Same results, same report.
"""

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table as RichTable

from bench import charts
from bench.charts import group_key, load_label, variant_key, variant_order
from bench.report_faults import fault_blocks
from bench.report_format import (
    DASH,
    TIMES,
    Block,
    Bullets,
    Chart,
    Heading,
    Para,
    Table,
    to_html,
    to_markdown,
)
from bench.results import CellResult, Comparison, Group, Interval, Summary, load

# ----------------------------------------------------------------- formatting


def num(x: float | None) -> str:
    if x is None or math.isnan(x):
        return DASH
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def known(iv: Interval) -> tuple[float, float, float] | None:
    """(median, lo, hi) when the interval was measured, else None."""
    m, lo, hi = iv.median, iv.lo, iv.hi
    if iv.n == 0 or m is None or lo is None or hi is None:
        return None
    if math.isnan(m) or math.isnan(lo) or math.isnan(hi):
        return None
    return m, lo, hi


def interval(iv: Interval) -> str:
    k = known(iv)
    return f"{num(k[0])} [{num(k[1])}, {num(k[2])}]" if k else DASH


def ratio(iv: Interval) -> str:
    k = known(iv)
    return f"{k[0]:.2f}{TIMES} [{k[1]:.2f}, {k[2]:.2f}]" if k else DASH


SINGLE_RUN_BAND = 0.10  # run-to-run noise seen on this 2-core host; see README


def verdict(throughput_ratio: Interval) -> str:
    """Taskiq / Celery throughput ratio -> one verdict; an interval holding 1.0 decides nothing."""
    k = known(throughput_ratio)
    if k is None:
        return "not compared"
    if throughput_ratio.n < 2:  # no interval from one pair: only a wide gap counts
        if k[0] > 1 + SINGLE_RUN_BAND:
            return "Taskiq faster (1 run)"
        if k[0] < 1 - SINGLE_RUN_BAND:
            return "Celery faster (1 run)"
        return f"within ±{SINGLE_RUN_BAND:.0%} (1 run)"
    if k[1] > 1.0:
        return "Taskiq faster"
    if k[2] < 1.0:
        return "Celery faster"
    return "no clear difference"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


def value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(present) if present else None


# ----------------------------------------------------------------- content

Key = tuple[str, str, float]  # scenario, model, load


class Run:
    """Indexes over one Summary, in a stable order (scenarios as the profile ran them)."""

    def __init__(self, summary: Summary) -> None:
        self.s = summary
        found = [c.scenario for c in summary.cells] + [g.scenario for g in summary.groups]
        self.scenarios = list(dict.fromkeys(found))
        self.variants = variant_order([c.variant for c in summary.cells])
        self.variants = variant_order([*self.variants, *(g.variant for g in summary.groups)])
        self.baselines = sorted({c.baseline for c in summary.comparisons})
        self.groups = {(g.scenario, g.model, g.load, g.variant): g for g in summary.groups}
        self.comparisons = {
            (c.scenario, c.model, c.load, c.baseline): c for c in summary.comparisons
        }

    def keys(self, scenario: str) -> list[Key]:
        found = {(c.scenario, c.model, c.load) for c in self.s.cells if c.scenario == scenario}
        found |= {(g.scenario, g.model, g.load) for g in self.s.groups if g.scenario == scenario}
        return sorted(found, key=lambda k: group_key(k[1], k[2]))

    def cells(self, key: Key, variant: str | None = None) -> list[CellResult]:
        return sorted(
            (
                c
                for c in self.s.cells
                if (c.scenario, c.model, c.load) == key and variant in (None, c.variant)
            ),
            key=lambda c: (variant_key(c.variant), c.rep),
        )

    def ordered_comparisons(self) -> list[Comparison]:
        order = {s: i for i, s in enumerate(self.scenarios)}
        return sorted(
            self.s.comparisons,
            key=lambda c: (order.get(c.scenario, 99), *group_key(c.model, c.load), c.baseline),
        )


def where(c: Comparison) -> str:
    return f"{c.scenario} {load_label(c.model, c.load)}"


def verdict_tables(run: Run) -> list[Block]:
    blocks: list[Block] = [
        Heading(2, "Verdict per scenario and model"),
        Para(
            "Throughput in jobs/s and end-to-end latency in ms from the jobs table: median over "
            "repetitions [95% interval]. The ratio is Taskiq / Celery throughput, paired by "
            "repetition; when its interval contains 1.0 the verdict is no clear difference. "
            "With one repetition there is no interval: only a gap over 10% gets a verdict."
        ),
    ]
    for scenario in run.scenarios:
        models = dict.fromkeys(k[1] for k in run.keys(scenario))
        for model in models:
            headers = ["scenario", "model", "load", "reps"]
            for v in run.variants:
                headers += [f"{v} jobs/s", f"{v} e2e p50 / p99 ms", f"{v} failed/lost/dup"]
            for b in run.baselines:
                headers += [f"taskiq / {b} jobs/s", f"verdict vs {b}"]
            rows = []
            for key in (k for k in run.keys(scenario) if k[1] == model):
                gs = [run.groups.get((*key, v)) for v in run.variants]
                reps = [g.throughput.n for g in gs if g]
                row = [scenario, model, load_label(key[1], key[2]), str(min(reps)) if reps else "0"]
                for g in gs:
                    if g is None:
                        row += [DASH, DASH, DASH]
                        continue
                    row += [
                        interval(g.throughput),
                        f"{num(g.e2e_p50.median)} / {num(g.e2e_p99.median)}",
                        f"{g.failed}/{g.lost}/{g.duplicates}",
                    ]
                for b in run.baselines:
                    comp = run.comparisons.get((*key, b))
                    row += (
                        [ratio(comp.throughput_ratio), verdict(comp.throughput_ratio)]
                        if comp
                        else [DASH, DASH]
                    )
                rows.append(row)
            blocks += [Heading(3, f"{scenario}: {model}"), Table(headers, rows)]
    return blocks


def invalid_table(run: Run) -> list[Block]:
    flagged = [c for c in run.s.cells if not c.valid or c.flags]
    blocks: list[Block] = [Heading(2, "Invalid and flagged cells")]
    if not flagged:
        return [*blocks, Para("No cell was flagged: every measurement counts.")]
    rows = [
        [
            c.cell_id,
            c.variant,
            c.scenario,
            load_label(c.model, c.load),
            str(c.rep),
            "invalid" if not c.valid else "flagged, kept",
            "; ".join(c.flags) or DASH,
        ]
        for c in sorted(flagged, key=lambda c: c.cell_id)
    ]
    return [*blocks, Table(["cell", "variant", "scenario", "load", "rep", "status", "flags"], rows)]


@dataclass
class Bottleneck:
    scenario: str
    load: str
    variant: str
    bottleneck: str
    utilisation: float | None  # median over the group's (valid) cells
    text: str


def bottlenecks(run: Run) -> list[Bottleneck]:
    """Per group: the most named bottleneck and the median share of the slots bound."""
    out = []
    for scenario in run.scenarios:
        for key in run.keys(scenario):
            for v in run.variants:
                cells = run.cells(key, v)
                use = [c for c in cells if c.valid] or cells
                if not use:
                    continue
                names = Counter(c.bound.bottleneck for c in use)
                top = min(names, key=lambda n: (-names[n], n))
                util = _median(c.bound.utilisation for c in use)
                bound = _median(c.bound.slots_bound for c in use)
                service = _median(c.bound.median_service_ms for c in use)
                slots = statistics.median(c.bound.slots for c in use)
                if util is None:
                    text = "no slots/latency bound (no service times)"
                else:
                    text = (
                        f"{v} at {util:.0%} of its slots/latency bound "
                        f"({num(bound)} jobs/s = {slots:g} slots / {num(service)} ms)"
                    )
                out.append(Bottleneck(scenario, load_label(*key[1:]), v, top, util, text))
    return out


def bottleneck_table(run: Run) -> list[Block]:
    rows = [[b.scenario, b.load, b.variant, b.bottleneck, b.text] for b in bottlenecks(run)]
    headers = ["scenario", "load", "variant", "bottleneck", "throughput vs slots/latency bound"]
    return [Heading(2, "Bottleneck per group"), Table(headers, rows)]


def locust_table(run: Run) -> list[Block]:
    blocks: list[Block] = [
        Heading(2, "Locust (client side) beside the jobs table (server side, the truth)"),
        Para(
            "Locust (client side) measures HTTP requests as the load generator saw them, "
            "including its own queueing; the jobs table (server side, the truth) times each job "
            "with Postgres timestamps from enqueue to finish. Only the jobs table is used above."
        ),
    ]
    cells = [c for c in run.s.cells if c.locust is not None]
    if not cells:
        return [
            *blocks,
            Para("No cell has Locust figures (drain cells are prefilled, not driven)."),
        ]
    rows = []
    for c in sorted(cells, key=lambda c: c.cell_id):
        lo = c.locust
        assert lo is not None
        rows.append(
            [
                c.cell_id,
                c.variant,
                str(lo.requests),
                str(lo.failures),
                num(lo.rps),
                num(lo.p50_ms),
                num(lo.p99_ms),
                num(lo.job_p50_ms),
                num(lo.job_p99_ms),
                num(c.throughput),
                num(c.e2e_ms.p50),
                num(c.e2e_ms.p99),
                f"{c.completed}/{c.failed}/{c.lost}",
            ]
        )
    headers = [
        "cell",
        "variant",
        "requests",
        "failures",
        "req/s",
        "p50 ms",
        "p99 ms",
        "job p50 ms",
        "job p99 ms",
        "jobs/s",
        "e2e p50 ms",
        "e2e p99 ms",
        "done/failed/lost",
    ]
    groups = [
        ("", "", 2),
        ("Locust", "Locust (client side)", 7),
        ("jobs table", "jobs table (server side, the truth)", 4),
    ]
    return [*blocks, Table(headers, rows, groups)]


def key_value(title: str, data: dict[str, object]) -> list[Block]:
    rows = [[k, value_text(v)] for k, v in data.items()]
    return [Heading(2, title), Table(["setting", "value"], rows) if rows else Para("(empty)")]


@dataclass
class Found:
    """One Taskiq / Celery comparison with its measured throughput ratio."""

    comp: Comparison
    median: float
    lo: float
    hi: float
    word: str


def found(run: Run) -> list[Found]:
    out = []
    for c in run.ordered_comparisons():
        k = known(c.throughput_ratio)
        if k:
            out.append(Found(c, *k, verdict(c.throughput_ratio)))
    return out


def how_to_read(run: Run) -> list[Block]:
    comps = found(run)
    said = Counter(f.word for f in comps)
    items = []
    if comps:
        items.append(
            f"Across {len(comps)} comparisons (scenario x model x load, Taskiq against each Celery "
            f"baseline): Taskiq faster in {said['Taskiq faster']}, Celery faster in "
            f"{said['Celery faster']}, no clear difference in {said['no clear difference']} "
            "(the 95% interval of the throughput ratio contains 1.0)."
        )
    else:
        items.append("No Taskiq/Celery comparison was recorded, so there is no verdict.")
    for scenario in run.scenarios:
        parts = [
            f"{f.word} at {load_label(f.comp.model, f.comp.load)} (Taskiq / {f.comp.baseline} "
            f"throughput {f.median:.2f}{TIMES}, interval {f.lo:.2f} to {f.hi:.2f})"
            for f in comps
            if f.comp.scenario == scenario
        ]
        if parts:
            items.append(f"{scenario}: " + "; ".join(parts) + ".")
    ahead = [f for f in comps if f.word == "Taskiq faster"]
    if ahead:
        best = max(ahead, key=lambda f: f.median)
        items.append(
            f"Largest Taskiq lead: {best.median:.2f}{TIMES} the throughput of "
            f"{best.comp.baseline} at {where(best.comp)}."
        )
    behind = [f for f in comps if f.word == "Celery faster" and f.median > 0]
    if behind:
        worst = min(behind, key=lambda f: f.median)
        items.append(
            f"Largest Celery lead: {worst.comp.baseline} does {1 / worst.median:.2f}{TIMES} "
            f"Taskiq's throughput at {where(worst.comp)}."
        )
    lat = [k for k in (known(f.comp.e2e_p50_ratio) for f in comps) if k]
    if lat:
        lower = sum(k[2] < 1 for k in lat)
        higher = sum(k[1] > 1 for k in lat)
        items.append(
            f"Median end-to-end latency (Taskiq / Celery): clearly lower for Taskiq in {lower}, "
            f"clearly higher in {higher}, overlapping in {len(lat) - lower - higher} of {len(lat)}."
        )
    trouble = [g for g in run.s.groups if g.failed or g.lost or g.duplicates]
    for g in sorted(trouble, key=lambda g: (g.scenario, *group_key(g.model, g.load), g.variant)):
        items.append(
            f"{g.variant} at {g.scenario} {load_label(g.model, g.load)}: {g.failed} "
            f"failed, {g.lost} lost, {g.duplicates} duplicated jobs."
        )
    if run.s.groups and not trouble:
        items.append("No job failed, was lost or ran twice in any group.")
    invalid = [c for c in run.s.cells if not c.valid]
    if invalid:
        was = "was" if len(invalid) == 1 else "were"
        items.append(
            f"{len(invalid)} of {len(run.s.cells)} cells {was} marked invalid (see the invalid "
            "cells table); the groups they belong to rest on fewer trustworthy repetitions."
        )
    near = [b for b in bottlenecks(run) if b.utilisation is not None and b.utilisation >= 0.9]
    if near:
        items.append(
            "At 90% or more of their slots/latency bound, where throughput is what the slots and "
            "the service time allow (a backend wins there only with more slots or faster jobs): "
            + "; ".join(f"{b.scenario} {b.load} {b.variant}" for b in near)
            + "."
        )
    reps = sorted({g.throughput.n for g in run.s.groups})
    if reps:
        items.append(
            f"Intervals are 95% bootstrap intervals of the median over {'/'.join(map(str, reps))} "
            "repetitions; with few repetitions they are rough, so read small ratios as noise."
        )
    ledger = {k.lower(): v for k, v in run.s.ledger.items()}
    names = {
        "WORKER_PROCESSES": ["worker_processes"],
        "WORKER_SLOTS": ["worker_slots", "taskiq_max_async_tasks"],
    }
    knobs = ", ".join(
        f"{name}={value_text(ledger[keys[0]])}"
        for name, options in names.items()
        if (keys := [k for k in options if k in ledger])
    )
    cpus = next(
        (run.s.environment[k] for k in ("cpu_count", "cpus") if k in run.s.environment), None
    )
    limits = [
        "One 2-core host"
        + (f" (this run: {value_text(cpus)} CPUs)" if cpus is not None else "")
        + ": more cores or hosts change which component saturates first.",
        "Loopback network: no real network latency or bandwidth limits between API, RabbitMQ, "
        "Postgres and workers.",
        "The API and the load generator share the machine with the workers and compete for CPU.",
        "Small payloads: large messages stress serialisation and the broker differently.",
        "A single RabbitMQ node: no clustering or quorum replication across hosts.",
        "Results depend on WORKER_PROCESSES and WORKER_SLOTS"
        + (f" (this run: {knobs})" if knobs else "")
        + "; other settings can reorder the backends.",
    ]
    return [
        Heading(2, "How to read this"),
        Bullets(items),
        Heading(3, "Where these numbers do not generalise"),
        Bullets(limits),
    ]


def chart_blocks(run: Run) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Charts", only="html")]
    for scenario in run.scenarios:
        groups = [g for g in run.s.groups if g.scenario == scenario]
        blocks.append(Heading(3, scenario, only="html"))
        if groups:
            title = f"{scenario}: throughput"
            blocks.append(Chart("throughput", title, charts.throughput_chart(groups, title)))
            title = f"{scenario}: end-to-end latency p50 and p99"
            blocks.append(Chart("latency", title, charts.latency_chart(groups, title)))
        keys = run.keys(scenario)
        opens = [k for k in keys if k[1] == "open"]
        for key in keys:
            cells = run.cells(key)
            first = [run.cells(key, v)[0] for v in run.variants if run.cells(key, v)]
            if (key[1] != "open" or key == opens[-1]) and any(c.series.t for c in first):
                title = f"{scenario} {load_label(key[1], key[2])}: completions and backlog"
                blocks.append(Chart("timeline", title, charts.timeline_chart(first, title)))
            if any(c.usage for c in cells):
                title = f"{scenario} {load_label(key[1], key[2])}: CPU and memory per component"
                blocks.append(Chart("usage", title, charts.usage_chart(cells, title)))
    return blocks


def blocks(summary: Summary) -> list[Block]:
    run = Run(summary)
    invalid = sum(not c.valid for c in summary.cells)
    head: list[Block] = [
        Heading(1, f"queuebench report: {summary.run_id}"),
        Para(
            f"Profile: {summary.profile}. Started: {summary.started}. Wall time: "
            f"{duration(summary.wall_s)}. Cells: {len(summary.cells)} ({invalid} invalid)."
        ),
        Para("Charts: see report.html.", only="md"),
    ]
    return [
        *head,
        *how_to_read(run),
        *verdict_tables(run),
        *chart_blocks(run),
        *invalid_table(run),
        *bottleneck_table(run),
        *locust_table(run),
        *fault_blocks(summary),
        *key_value("Fairness ledger (every setting as used)", summary.ledger),
        *key_value("Environment", summary.environment),
    ]


def render(run_dir: Path) -> tuple[Path, Path]:
    """Render results/<run-id>/ (its summary.json only) into report.md and report.html."""
    summary = load(run_dir)
    items = blocks(summary)
    md, page = run_dir / "report.md", run_dir / "report.html"
    md.write_text(to_markdown(items), encoding="utf-8")
    page.write_text(to_html(items, f"queuebench report: {summary.run_id}"), encoding="utf-8")
    return md, page


def summary_table(summary: Summary) -> RichTable:
    """End-of-run console table: one row per variant x scenario (task) x model x load."""
    table = RichTable(title=f"queuebench {summary.run_id} ({summary.profile})")
    for name in (
        "variant",
        "scenario",
        "task",
        "model",
        "load",
        "jobs/s [95%]",
        "e2e p50 ms",
        "e2e p99 ms",
        "failed",
        "lost",
    ):
        table.add_column(
            name,
            justify="right" if name not in ("variant", "scenario", "task", "model") else "left",
        )
    for g in sorted(summary.groups, key=_group_order):
        table.add_row(
            g.variant,
            g.scenario,
            g.task,
            g.model,
            f"{g.load:g}",
            interval(g.throughput),
            num(g.e2e_p50.median),
            num(g.e2e_p99.median),
            str(g.failed),
            str(g.lost),
        )
    return table


def _group_order(g: Group) -> tuple[object, ...]:
    return variant_key(g.variant), g.scenario, *group_key(g.model, g.load)

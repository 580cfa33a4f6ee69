"""The report's figures: number formatting, verdicts, and the tables (verdict per
scenario, flagged cells, bottlenecks, Locust beside the jobs table, key/value)."""

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bench.charts import group_key, load_label, variant_key, variant_order
from bench.report_format import (
    DASH,
    TIMES,
    Block,
    Heading,
    Para,
    Table,
)
from bench.results import CellResult, Comparison, Interval, Summary

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
                headers += [
                    f"{v} jobs/s",
                    f"{v} e2e p50 / p99 ms",
                    f"{v} failed/lost/dup. deliveries",
                ]
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
                        f"{g.failed}/{g.lost}/{g.duplicate_deliveries}",
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

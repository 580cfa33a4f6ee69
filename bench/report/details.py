"""The details under the answer: charts per scenario, flagged cells, Locust's own
figures beside the jobs table's, and the key/value tables (ledger, environment)."""

import json

from bench.report import charts
from bench.report.blocks import Block, Chart, Heading, Para, Table
from bench.report.format import DASH, load_label, num
from bench.report.index import Run


def chart_blocks(run: Run, timelines: bool = True) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Charts", only="html")]
    for scenario in run.scenarios:
        keys = [k for k in run.loads() if k[0] == scenario]
        groups = [g for k in keys for g in run.variants(k)]
        if not groups:
            continue
        blocks.append(Heading(3, scenario, only="html"))
        title = f"{scenario}: throughput"
        blocks.append(Chart("throughput", title, charts.throughput_chart(groups, title)))
        for key in keys:
            here = run.variants(key)
            if any(g.cpu_ms_per_job for g in here):
                title = f"{scenario} {load_label(key[1], key[2])}: CPU per job by component"
                blocks.append(Chart("cost", title, charts.cost_chart(here, title)))
            first = [cells[0] for g in here if (cells := run.cells(key, g.variant))]
            if timelines and any(c.series.t for c in first):
                where = f"{scenario} {load_label(key[1], key[2])}"
                title = f"{where}: completions and backlog (first repetition)"
                blocks.append(Chart("timeline", title, charts.timeline_chart(first, title)))
    return blocks


def flagged_blocks(run: Run) -> list[Block]:
    flagged = [c for c in run.s.cells if not c.valid or c.flags]
    if not flagged:
        return [Heading(3, "Flagged cells"), Para("No cell was flagged: every measurement counts.")]
    rows = [
        [
            c.cell_id,
            c.variant,
            c.scenario,
            load_label(c.model, c.load),
            str(c.rep),
            "invalid" if not c.valid else "kept",
            "; ".join(c.flags) or DASH,
        ]
        for c in sorted(flagged, key=lambda c: c.cell_id)
    ]
    return [
        Heading(3, "Flagged cells"),
        Table(["cell", "variant", "scenario", "load", "rep", "status", "why"], rows),
    ]


def locust_blocks(run: Run) -> list[Block]:
    cells = [c for c in run.s.cells if c.locust is not None]
    if not cells:
        return []
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
    ]
    groups = [
        ("", "", 2),
        ("Locust", "Locust (client side)", 7),
        ("jobs table", "jobs table (server side, the truth)", 3),
    ]
    return [
        Heading(3, "Locust beside the jobs table"),
        Para(
            "Locust measures HTTP requests as the load generator saw them, including its own "
            "queueing; the jobs table times each job with Postgres timestamps from enqueue to "
            "finish. Only the jobs table is used above."
        ),
        Table(headers, rows, groups),
    ]


def value_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def key_value(title: str, data: dict[str, object]) -> list[Block]:
    rows = [[k, value_text(v)] for k, v in data.items()]
    return [Heading(2, title), Table(["setting", "value"], rows)] if rows else []

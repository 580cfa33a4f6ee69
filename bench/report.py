"""The report: reads only a saved `Summary` and writes report.md and report.html.

Both files come from one list of blocks (headings, paragraphs, bullet lists, tables,
charts), so they say the same thing; Markdown has no images, the HTML page inlines
every chart as <svg> and references nothing outside itself. Same results, same report.
"""

from pathlib import Path

from rich.table import Table as RichTable

from bench import charts
from bench.charts import group_key, load_label, variant_key
from bench.report_faults import fault_blocks
from bench.report_format import (
    Block,
    Chart,
    Heading,
    Para,
    to_html,
    to_markdown,
)
from bench.report_reading import how_to_read
from bench.report_tables import (
    Run,
    bottleneck_table,
    duration,
    interval,
    invalid_table,
    key_value,
    locust_table,
    num,
    ratio,
    verdict,
    verdict_tables,
)

__all__ = ["interval", "ratio", "render", "summary_table", "verdict"]
from bench.results import Group, Summary, load


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

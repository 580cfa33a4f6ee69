"""The report: reads only a saved `Summary` and writes report.md and report.html.

It leads with the answer (Celery against Taskiq per scenario and fairness mode, with
intervals and verdicts, and a forest plot), then why (cost per job, the job's own cost
against the queue path, bottlenecks, the harness's own overhead), then the details.
Both files come from one list of blocks, so they say the same thing; the HTML page
inlines every chart as <svg> and references nothing outside itself.
"""

from pathlib import Path

from rich.table import Table as RichTable

from bench.charts import group_key, load_label, variant_key
from bench.report_answer import answer_blocks, throughput_verdict
from bench.report_details import chart_blocks, flagged_blocks, key_value, locust_blocks
from bench.report_faults import fault_blocks
from bench.report_format import (
    Block,
    Heading,
    Para,
    duration,
    interval,
    num,
    ratio,
    to_html,
    to_markdown,
)
from bench.report_producer import producer_blocks
from bench.report_run import Run
from bench.report_why import why_blocks
from bench.results import Summary, load

MACHINE = ("platform", "cpus", "memory_gb", "python", "postgres", "rabbitmq")
SMOKE = (
    "SMOKE RUN: short windows and few repetitions check that everything works end to end; "
    "they leave wide intervals, so only large gaps get a verdict, and no figure from this "
    "run is one to quote. "
    "For figures to act on, run `make bench-standard` (about 40 minutes here)."
)


def blocks(summary: Summary, command: str | None = None) -> list[Block]:
    """The whole report; given the `command` that produced the run, the published
    summary: the same figures, without the per-cell timelines and Locust's table."""
    run = Run(summary)
    cpus = summary.environment.get("cpus", "?")
    head: list[Block] = [
        Heading(1, f"Celery or Taskiq: queuebench run {summary.run_id}"),
        Para(
            f"Profile {summary.profile}, started {summary.started}, wall time "
            f"{duration(summary.wall_s)}, {len(summary.cells)} cells, on {cpus} CPUs. "
            "Every figure comes from the jobs table (Postgres clock) of this run."
        ),
    ]
    if command is not None:
        env = summary.environment
        machine = ", ".join(f"{k} {env[k]}" for k in MACHINE if k in env)
        head.append(Para(f"Command: `{command}`. Machine: {machine}."))
    if summary.smoke:
        head.append(Para(SMOKE))
    return [
        *head,
        *answer_blocks(run),
        *why_blocks(run),
        *producer_blocks(summary),
        Heading(2, "Details"),
        *chart_blocks(run, timelines=command is None),
        *flagged_blocks(run),
        *(locust_blocks(run) if command is None else []),
        *fault_blocks(summary),
        *key_value("Fairness ledger (every setting as used)", summary.ledger),
        *key_value("Environment", summary.environment),
    ]


def render(run_dir: Path) -> tuple[Path, Path]:
    """Render results/<run-id>/ (its summary.json only) into report.md and report.html."""
    return _write(run_dir, run_dir, "report", None)


def publish(run_dir: Path, out_dir: Path, command: str) -> tuple[Path, Path]:
    """A run's summary to commit (docs/results/): the figures and charts, the machine, the
    command and the date; never the raw data, which stays in results/."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return _write(run_dir, out_dir, "summary", command)


def _write(run_dir: Path, out_dir: Path, stem: str, command: str | None) -> tuple[Path, Path]:
    summary = load(run_dir)
    items = blocks(summary, command)
    md, page = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    md.write_text(to_markdown(items), encoding="utf-8")
    title = "queuebench report" if command is None else "queuebench"
    page.write_text(to_html(items, f"{title}: {summary.run_id}"), encoding="utf-8")
    return md, page


def summary_table(summary: Summary) -> RichTable:
    """End-of-run console table: the answer, one row per comparison."""
    run = Run(summary)
    smoke = ", SMOKE RUN" if summary.smoke else ""
    table = RichTable(title=f"queuebench {summary.run_id} ({summary.profile}{smoke})")
    for name in (
        "scenario",
        "load",
        "mode",
        "celery jobs/s",
        "taskiq jobs/s",
        "taskiq / celery",
        "verdict",
        "worker CPU ms/job c / t",
    ):
        table.add_column(
            name, justify="left" if name in ("scenario", "load", "mode", "verdict") else "right"
        )
    comps = sorted(
        summary.comparisons,
        key=lambda c: (
            run.scenarios.index(c.scenario) if c.scenario in run.scenarios else 99,
            *group_key(c.model, c.load),
            c.mode,
        ),
    )
    for c in comps:
        celery = run.groups.get((c.scenario, c.model, c.load, c.celery))
        taskiq = run.groups.get((c.scenario, c.model, c.load, "taskiq"))
        if celery is None or taskiq is None:
            continue
        cpu = [g.cpu_ms_per_job.get("workers") for g in (celery, taskiq)]
        table.add_row(
            c.scenario,
            load_label(c.model, c.load),
            c.mode,
            interval(celery.throughput),
            interval(taskiq.throughput),
            ratio(c.throughput_ratio),
            throughput_verdict(c),
            " / ".join(num(i.median) if i else "-" for i in cpu),
        )
    return table


__all__ = ["render", "summary_table", "variant_key"]

"""The report: reads only a saved `Summary` (with a second session's replication.json beside
it, if there is one) and writes report.md and report.html.

It leads with the answer (Celery against Taskiq per scenario and fairness mode, with
intervals and verdicts, and a forest plot), then why (cost per job, the job's own cost
against the queue path, bottlenecks, the harness's own overhead), then the details.
Both files, and the console's view at the end of a run, come from one list of blocks, so
they say the same thing; the HTML page inlines every chart as <svg> and references
nothing outside itself.
"""

from collections.abc import Iterator
from pathlib import Path

from rich.console import RenderableType

from bench.replication import Replication
from bench.report.answer import answer_blocks
from bench.report.blocks import Block, Chart, Heading, Para, to_markdown
from bench.report.console import renderables
from bench.report.details import chart_blocks, flagged_blocks, key_value, locust_blocks
from bench.report.distance import distance_blocks
from bench.report.faults import fault_blocks
from bench.report.features import feature_blocks
from bench.report.format import duration
from bench.report.html import to_html
from bench.report.index import Run
from bench.report.overhead import overhead_blocks
from bench.report.producer import producer_blocks
from bench.report.replication import replication_blocks
from bench.report.scale import scale_blocks
from bench.report.tune import tune_blocks
from bench.report.why import why_blocks
from bench.summary import Summary

MACHINE = ("platform", "cpus", "memory_gb", "python", "postgres", "rabbitmq")
SMOKE = (
    "SMOKE RUN: short windows and few repetitions check that everything works end to end; "
    "they leave wide intervals, so only large gaps get a verdict, and no figure from this "
    "run is one to quote. "
    "For figures to act on, run `make bench-standard` (about 45 minutes here)."
)


def blocks(
    summary: Summary, command: str | None = None, replication: Replication | None = None
) -> list[Block]:
    """The whole report; given the `command` that produced the run, the published
    summary: the same figures, without the per-cell timelines and Locust's table. With a
    second session's `replication`, whether it reproduced the verdicts."""
    run = Run(summary, replication)
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
    # A tune's or a scaling's sections take the place of the matrix's, which it has none of.
    searched = [*tune_blocks(summary), *scale_blocks(summary)]
    matrix = [
        *answer_blocks(run),
        *replication_blocks(replication),
        *distance_blocks(summary),
        *why_blocks(run),
        *overhead_blocks(summary),
        *producer_blocks(summary),
    ]
    return [
        *head,
        *(searched or matrix),
        *feature_blocks(None),
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


def replication_of(run_dir: Path) -> Replication | None:
    return Replication.load(run_dir) if (run_dir / Replication.FILE).exists() else None


def _write(run_dir: Path, out_dir: Path, stem: str, command: str | None) -> tuple[Path, Path]:
    summary = Summary.load(run_dir)
    items = blocks(summary, command, replication_of(run_dir))
    md, page = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    md.write_text(to_markdown(items), encoding="utf-8")
    title = "queuebench report" if command is None else "queuebench"
    page.write_text(to_html(items, f"{title}: {summary.run_id}"), encoding="utf-8")
    return md, page


def console_view(
    summary: Summary, replication: Replication | None = None
) -> Iterator[RenderableType]:
    """What the end of a run prints: the answer and the faults, from the report's blocks."""
    run = Run(summary, replication)
    smoke = ", SMOKE RUN" if summary.smoke else ""
    head = [Heading(1, f"queuebench {summary.run_id} ({summary.profile}{smoke})")]
    distance = [b for b in distance_blocks(summary) if not isinstance(b, Chart)]
    tuned = [b for b in tune_blocks(summary) if not isinstance(b, Para)][:4]  # no space table
    scaled = [b for b in scale_blocks(summary) if not isinstance(b, Chart | Para)]
    answer = [
        *(tuned or scaled or answer_blocks(run)),
        *distance,
        *fault_blocks(summary, brief=True),
    ]
    yield from renderables([*head, *answer])

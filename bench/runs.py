"""One benchmark run: settings for every process it starts, the cells in order with
a progress line, then the summary (analysis of the saved raw data) and the report."""

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bench import analysis, grouping, report
from bench.ledger import environment, fairness_ledger
from bench.orchestrator import Runner, Target
from bench.plan import Cell, plan
from bench.processes import managed
from bench.profiles import PROFILES, Profile
from bench.report_faults import fault_table
from bench.results import CellResult, Summary, save
from core.settings import Settings

console = Console(width=None if sys.stdout.isatty() else 160)


def child_env(settings: Settings) -> dict[str, str]:
    """What every process the harness starts reads through core.Settings."""
    return {
        "DATABASE_URL": settings.database_url,
        "WORKER_PROCESSES": str(settings.worker_processes),
        "WORKER_SLOTS": str(settings.worker_slots),
        "WORKER_PREFETCH": str(settings.prefetch),
        "CELERY_TASK_EVENTS": "false",
        "STUB_URL": settings.stub_url,
        "OUTBOX_GRACE_S": "12",  # recovery finds an api-kill's rows within a cell
        "LOOP_LAG_PROBE_MS": "10",
    }


def label(cell: Cell) -> str:
    extra = f" prefetch {cell.prefetch}" if cell.prefetch else " bare" if cell.bare else ""
    return f"{cell.variant} {cell.scenario} {cell.model} {cell.load:g} r{cell.rep}{extra}"


def phase_of(progress: Progress, bar: TaskID, text: str) -> Callable[[str], None]:
    return lambda what: progress.update(bar, description=f"{text}: {what}")


def execute(profile: Profile, target: Target, results: Path) -> Path:
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = results / run_id
    run_dir.mkdir(parents=True)
    started, t0 = datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()
    cells = plan(profile)
    console.print(f"[bold]run {run_id}[/]: profile {profile.name}, {len(cells)} cells -> {run_dir}")
    with managed(run_dir / "logs", child_env(target.settings)) as procs:
        runner = Runner(run_dir, profile, target, procs)
        try:
            runner.start_services()
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
            ]
            with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
                bar = progress.add_task("starting", total=len(cells))
                for n, cell in enumerate(cells, 1):
                    if not console.is_terminal:  # no live display: a line per cell instead
                        console.print(f"[{n}/{len(cells)}] {label(cell)}")
                    if cell.bare:  # the calibration's bare drain: no live display either
                        progress.stop()
                        runner.run_cell(cell, lambda _: None)
                        progress.start()
                    else:
                        runner.run_cell(cell, phase_of(progress, bar, label(cell)))
                    progress.advance(bar)
        finally:
            runner.close()
    summary = build_summary(run_dir, profile.name, started, time.monotonic() - t0)
    summary.ledger = fairness_ledger(target.settings, profile)
    summary.ledger["message_body_bytes"] = message_sizes(summary)
    summary.environment = environment(target.settings)
    save(summary, run_dir)
    finish(run_dir, summary)
    return run_dir


def build_summary(run_dir: Path, profile: str, started: str, wall_s: float) -> Summary:
    found = [analysis.analyse_cell(d) for d in sorted((run_dir / "cells").iterdir())]
    cells = [c for c in found if isinstance(c, CellResult)]
    jobcosts = [j for c in found if isinstance(c, list) for j in c]
    return Summary(
        run_id=run_dir.name,
        profile=profile,
        smoke=PROFILES[profile].smoke if profile in PROFILES else False,
        started=started,
        wall_s=round(wall_s, 1),
        ledger={},
        environment={},
        cells=cells,
        jobcosts=jobcosts,
        groups=grouping.groups(cells),
        comparisons=grouping.comparisons(cells),
        calibration=grouping.calibration(cells),
    )


def message_sizes(summary: Summary) -> dict[str, int] | str:
    """Body size of a job message per backend, as taken off the queue in drain cells."""
    sizes = {c.backend: c.message_bytes for c in summary.cells if c.message_bytes is not None}
    return sizes or "not measured (no drain cell)"


def rerender(run_dir: Path) -> None:
    """Re-analyse a saved run from its raw files and re-render its report."""
    old = Summary.model_validate_json((run_dir / "summary.json").read_text())
    summary = build_summary(run_dir, old.profile, old.started, old.wall_s)
    summary.ledger, summary.environment = old.ledger, old.environment
    save(summary, run_dir)
    finish(run_dir, summary)


def finish(run_dir: Path, summary: Summary) -> None:
    md, html = report.render(run_dir)
    if any(c.fault is None for c in summary.cells):
        console.print(report.summary_table(summary))
    faults_table = fault_table(summary)
    if faults_table is not None:
        console.print(faults_table)
    console.print(f"wall time {summary.wall_s:.0f}s; report: [bold]{html}[/] and {md}")

"""`python -m bench run | report | list`."""

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench import analysis, report
from bench.faults import FAULTS
from bench.jobsdb import JobsDB
from bench.ledger import environment, fairness_ledger
from bench.orchestrator import Runner, Target, plan
from bench.processes import managed
from bench.report_faults import fault_table
from bench.results import Summary, save
from bench.scenarios import MODELS, PROFILES, SCENARIOS, VARIANTS, Profile
from core.settings import Settings

app = typer.Typer(add_completion=False, help="Celery vs Taskiq benchmark harness.")
console = Console(width=None if sys.stdout.isatty() else 160)


def _split(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def _check(values: tuple[str, ...] | None, allowed: tuple[str, ...] | list[str], what: str) -> None:
    unknown = sorted(set(values or ()) - set(allowed))
    if unknown:
        raise typer.BadParameter(
            f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})"
        )


@app.command()
def run(
    profile: Annotated[str, typer.Argument(help="quick | full | tiny")] = "quick",
    variants: Annotated[str | None, typer.Option(help="comma list, e.g. celery,taskiq")] = None,
    scenarios: Annotated[str | None, typer.Option(help="comma list of scenarios")] = None,
    models: Annotated[
        str | None, typer.Option(help="comma list: drain,closed,open, or none")
    ] = None,
    faults: Annotated[str | None, typer.Option(help="comma list of faults, or none")] = None,
    reps: Annotated[int | None, typer.Option(min=1, max=20)] = None,
    duration: Annotated[
        float | None, typer.Option(min=1, max=3600, help="measured seconds per cell")
    ] = None,
    warmup: Annotated[float | None, typer.Option(min=0, max=600)] = None,
    users: Annotated[str | None, typer.Option(help="closed-model users, comma list")] = None,
    rates: Annotated[str | None, typer.Option(help="open-model jobs/s, comma list")] = None,
    drain_scale: Annotated[float | None, typer.Option(min=0.01, max=100)] = None,
    processes: Annotated[int | None, typer.Option(min=1, max=64, help="worker processes")] = None,
    slots: Annotated[
        int | None, typer.Option(min=1, max=1000, help="taskiq async slots/process")
    ] = None,
    external: Annotated[
        bool, typer.Option(help="drive a running deployment; start nothing")
    ] = False,
    api_url: Annotated[str | None, typer.Option(help="with --external")] = None,
    api_port: Annotated[int, typer.Option(help="local API port")] = 8000,
    stub_port: Annotated[int, typer.Option(help="local stub port")] = 8090,
    locust_workers: Annotated[
        int, typer.Option(min=0, max=64, help="run Locust distributed: master + N workers")
    ] = 0,
    database_url: Annotated[str | None, typer.Option(help="default: DATABASE_URL")] = None,
    results: Annotated[Path, typer.Option(help="where runs are saved")] = Path("results"),
) -> None:
    """Run a profile (optionally narrowed or widened by options) and write the report."""
    base = PROFILES.get(profile)
    if base is None:
        raise typer.BadParameter(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
    chosen = {
        "variants": _split(variants),
        "scenarios": _split(scenarios),
        "models": () if models == "none" else _split(models),
        "faults": () if faults == "none" else _split(faults),
    }
    _check(chosen["variants"], VARIANTS, "variant")
    _check(chosen["scenarios"], list(SCENARIOS), "scenario")
    _check(chosen["models"], MODELS, "model")
    _check(chosen["faults"], FAULTS, "fault")
    try:
        user_list = tuple(int(u) for u in _split(users) or ())
        rate_list = tuple(float(r) for r in _split(rates) or ())
    except ValueError as exc:
        raise typer.BadParameter(f"--users/--rates must be numbers: {exc}") from exc
    model_list = base.models if chosen["models"] is None else chosen["models"]
    if external and "drain" in model_list:
        # Drain starts workers after the backlog is in; a running deployment can't do that.
        console.print("[yellow]--external: skipping the drain model (workers already run)[/]")
        model_list = tuple(m for m in model_list if m != "drain")
    prof = Profile(
        name=profile,
        description=base.description,
        variants=chosen["variants"] or base.variants,
        scenarios=chosen["scenarios"] or base.scenarios,
        models=model_list,
        faults=base.faults if chosen["faults"] is None else chosen["faults"],
        reps=reps or base.reps,
        duration_s=duration or base.duration_s,
        warmup_s=base.warmup_s if warmup is None else warmup,
        drain_scale=drain_scale or base.drain_scale,
        users=user_list or base.users,
        rates=rate_list or base.rates,
    )
    overrides: dict[str, object] = {"celery_task_events": False}
    if processes:
        overrides["worker_processes"] = processes
    if slots:
        overrides["worker_slots"] = slots
    if database_url:
        overrides["database_url"] = database_url
    if not external:
        overrides["stub_url"] = f"http://127.0.0.1:{stub_port}"
        api_url = f"http://127.0.0.1:{api_port}"
    elif api_url is None:
        raise typer.BadParameter("--external needs --api-url (and usually --database-url)")
    settings = Settings(**overrides)  # type: ignore[arg-type]
    child_env = {
        "DATABASE_URL": settings.database_url,
        "WORKER_PROCESSES": str(settings.worker_processes),
        "WORKER_SLOTS": str(settings.worker_slots),
        "CELERY_TASK_EVENTS": "false",
        "STUB_URL": settings.stub_url,
    }
    db = JobsDB(settings.database_url)
    try:
        db.check_schema()
    except RuntimeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    finally:
        db.close()
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = results / run_id
    run_dir.mkdir(parents=True)
    started, t0 = datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()
    cells = plan(prof)
    console.print(f"[bold]run {run_id}[/]: profile {prof.name}, {len(cells)} cells -> {run_dir}")
    target = Target(api_url, settings, external, api_port, stub_port, locust_workers)

    with managed(run_dir / "logs", child_env) as procs:
        runner = Runner(run_dir, prof, target, procs)
        try:
            runner.start_services()
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
            ]
            with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
                bar = progress.add_task("starting", total=len(cells))
                for cell in cells:
                    label = f"{cell.variant} {cell.scenario} {cell.model} {cell.load:g} r{cell.rep}"

                    def phase(what: str, label: str = label) -> None:
                        progress.update(bar, description=f"{label}: {what}")

                    runner.run_cell(cell, phase)
                    progress.advance(bar)
        finally:
            runner.close()

    summary = build_summary(run_dir, prof.name, started, time.monotonic() - t0)
    summary.ledger = fairness_ledger(settings, prof)
    summary.ledger["message_body_bytes"] = message_sizes(summary)
    summary.environment = environment(settings)
    save(summary, run_dir)
    finish(run_dir, summary)


def build_summary(run_dir: Path, profile: str, started: str, wall_s: float) -> Summary:
    cells = [analysis.analyse_cell(d) for d in sorted((run_dir / "cells").iterdir())]
    groups, comparisons = analysis.group(cells)
    return Summary(
        run_id=run_dir.name,
        profile=profile,
        started=started,
        wall_s=round(wall_s, 1),
        ledger={},
        environment={},
        cells=cells,
        groups=groups,
        comparisons=comparisons,
    )


def message_sizes(summary: Summary) -> dict[str, int] | str:
    """Body size of a job message per backend, as taken off the queue in drain cells."""
    sizes = {c.backend: c.message_bytes for c in summary.cells if c.message_bytes is not None}
    return sizes or "not measured (no drain cell)"


def finish(run_dir: Path, summary: Summary) -> None:
    md, html = report.render(run_dir)
    if any(c.fault is None for c in summary.cells):
        console.print(report.summary_table(summary))
    faults_table = fault_table(summary)
    if faults_table is not None:
        console.print(faults_table)
    console.print(f"wall time {summary.wall_s:.0f}s; report: [bold]{html}[/] and {md}")


@app.command("report")
def report_cmd(results_dir: Path) -> None:
    """Re-analyse a saved run from its raw files and re-render report.md / report.html."""
    if not (results_dir / "summary.json").exists():
        raise typer.BadParameter(f"{results_dir} has no summary.json: not a saved run")
    old = Summary.model_validate_json((results_dir / "summary.json").read_text())
    summary = build_summary(results_dir, old.profile, old.started, old.wall_s)
    summary.ledger, summary.environment = old.ledger, old.environment
    save(summary, results_dir)
    finish(results_dir, summary)


@app.command("list")
def list_cmd() -> None:
    """Scenarios, variants and profiles."""
    table = Table("scenario", "what", "drain jobs", "closed users", "open rates (jobs/s)")
    for s in SCENARIOS.values():
        table.add_row(
            s.name,
            s.description,
            str(s.drain_jobs),
            str(s.closed_users),
            ", ".join(f"{r:g}" for r in s.open_rates),
        )
    console.print(table)
    console.print("variants: " + ", ".join(VARIANTS))
    profiles = Table("profile", "what", "cells")
    for p in PROFILES.values():
        profiles.add_row(p.name, p.description, str(len(plan(p))))
    console.print(profiles)

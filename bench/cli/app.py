"""`python -m bench run | report | publish | compare | list`: the pipeline's stages in
order (run writes raw, analyse writes the summary, report renders it), and nothing else."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bench import report
from bench.analyse import replicate as replication
from bench.analyse import summarise
from bench.cli.checks import (
    choose,
    distances,
    external_profile,
    fail,
    faults_here,
    names,
    numbers,
    searched,
    settings_for,
    where_api,
)
from bench.report.blocks import to_markdown
from bench.report.compare import compare_blocks
from bench.report.console import renderables
from bench.run.plan import plan
from bench.run.session import console, execute
from bench.run.target import Target
from bench.spec import faults, scenarios, variants
from bench.spec.models import PROFILE_MODELS, Model
from bench.spec.profiles import PROFILES
from bench.summary import Summary

app = typer.Typer(add_completion=False, help="Celery vs Taskiq benchmark harness.")
Opt = typer.Option


SPACE_HELP = "tune: the configurations to search, comma list, e.g. 'taskiq@2x32 q64,celery@4x1 q1'"
MARGIN_OPT = Opt(
    min=0.0, max=0.5, help="of practical equivalence: a verdict must clear 1 +/- this (0.05)"
)


@app.command()
def run(
    profile: Annotated[str, typer.Argument(help=" | ".join(PROFILES))] = "quick",
    variants_: Annotated[str | None, Opt("--variants", help="comma list")] = None,
    scenarios_: Annotated[str | None, Opt("--scenarios", help="comma list")] = None,
    models: Annotated[str | None, Opt(help="comma list of models, or none")] = None,
    faults_: Annotated[str | None, Opt("--faults", help="comma list, or none")] = None,
    reps: Annotated[int | None, Opt(min=1, max=50)] = None,
    duration: Annotated[float | None, Opt(min=1, max=3600, help="measured s")] = None,
    warmup: Annotated[float | None, Opt(min=0, max=600)] = None,
    window: Annotated[float | None, Opt(min=1, max=3600, help="drain window, s")] = None,
    users: Annotated[str | None, Opt(help="closed-model users, comma list")] = None,
    rates: Annotated[str | None, Opt(help="open-model jobs/s, comma list")] = None,
    shares: Annotated[str | None, Opt(help="latency: shares of drain rate, 0.5,0.8")] = None,
    prefetch_sweep: Annotated[str | None, Opt(help="noop drains' prefetch, or none")] = None,
    rtt_ms: Annotated[str | None, Opt(help="network cells' RTTs, ms, e.g. 0,1,2, or none")] = None,
    proxy_port: Annotated[int, Opt(help="the delay proxy's first port (it takes 3)")] = 15400,
    jobcost: Annotated[bool | None, Opt(help="in-process job cost cells")] = None,
    calibrate: Annotated[bool | None, Opt(help="harness overhead calibration")] = None,
    processes: Annotated[int | None, Opt(min=1, max=64, help="worker processes")] = None,
    slots: Annotated[int | None, Opt(min=1, max=1000, help="in flight per process")] = None,
    prefetch: Annotated[int | None, Opt(min=1, max=10_000, help="per process")] = None,
    external: Annotated[bool, Opt(help="drive a running deployment; start nothing")] = False,
    api_url: Annotated[str | None, Opt(help="with --external")] = None,
    api_port: Annotated[int, Opt(help="local API port")] = 8000,
    stub_port: Annotated[int, Opt(help="local stub port")] = 8090,
    locust_workers: Annotated[int, Opt(min=0, max=64, help="Locust master + N workers")] = 0,
    database_url: Annotated[str | None, Opt(help="default: DATABASE_URL")] = None,
    results: Annotated[Path, Opt(help="where runs are saved")] = Path("results"),
    margin: Annotated[float | None, MARGIN_OPT] = None,
    space_: Annotated[str | None, Opt("--space", help=SPACE_HELP)] = None,
    top: Annotated[
        int | None, Opt(min=1, max=20, help="tune: confirm each backend's best N")
    ] = None,
    api_workers: Annotated[str | None, Opt(help="scale: uvicorn processes, e.g. 1,2,4")] = None,
    final_reps: Annotated[int | None, Opt(min=0, max=50, help="tune: winners head to head")] = None,
) -> None:
    """Run a profile (optionally narrowed or widened by options) and write the report."""
    configs, chosen_variants = searched(profile, space_, variants_, top, api_workers)
    chosen = choose(
        profile,
        space=configs, top=top, final_reps=final_reps,
        api_workers=numbers(api_workers, int, "--api-workers"),
        variants=chosen_variants,
        scenarios=names(scenarios_, tuple(scenarios.SCENARIOS), "scenario"),
        models=None if (ms := names(models, PROFILE_MODELS, "model")) is None else tuple(
            Model(m) for m in ms
        ),
        faults=names(faults_, faults.NAMES, "fault"),
        users=numbers(users, int, "--users"), rates=numbers(rates, float, "--rates"),
        shares=numbers(shares, float, "--shares"),
        prefetch_sweep=numbers(prefetch_sweep, int, "--prefetch-sweep"),
        rtts=distances(rtt_ms),
        reps=reps, duration_s=duration, warmup_s=warmup, drain_window_s=window,
        jobcost=jobcost, calibrate=calibrate, margin=margin,
    )  # fmt: skip
    if external and chosen.space:  # its cells would be labelled with sizes never run
        fail(f"--external runs the deployment's own workers: {profile} sets each cell's sizes")
    api_url = where_api(external, api_url, api_port, stub_port, proxy_port, chosen)
    settings = settings_for(
        external, stub_port, worker_processes=processes, worker_slots=slots,
        worker_prefetch=prefetch, database_url=database_url,
    )  # fmt: skip
    if external:
        chosen = external_profile(chosen, settings, api_url, variants_, faults_)
    chosen, not_run = faults_here(chosen, settings, asked=faults_ is not None)
    target = Target(api_url, settings, external, api_port, stub_port, locust_workers, proxy_port)
    finish(execute(chosen, target, results, not_run))


def finish(run_dir: Path, margin: float | None = None) -> None:
    """Analyse the run's raw records, render its report, print the answer."""
    summary = summarise(run_dir, margin)
    replicated = replication.reread(summary, run_dir)
    md, html = report.render(run_dir)
    for part in report.console_view(summary, replicated):
        console.print(part)
    console.print(f"wall time {summary.wall_s:.0f}s; report: [bold]{html}[/] and {md}")


def saved(run_dir: Path) -> Path:
    if not (run_dir / "cells").is_dir():
        fail(f"{run_dir} has no cells/: not a saved run")
    return run_dir


@app.command("report")
def report_cmd(results_dir: Path, margin: Annotated[float | None, MARGIN_OPT] = None) -> None:
    """Re-analyse a saved run from its raw records and re-render report.md / report.html."""
    finish(saved(results_dir), margin)


@app.command("publish")
def publish_cmd(
    results_dir: Path,
    out_dir: Annotated[Path, typer.Argument(help="e.g. docs/results/<date>-standard")],
    command: Annotated[str, Opt(help="the command that produced the run")],
    replicate: Annotated[Path | None, Opt(help="a second run of the profile")] = None,
) -> None:
    """Write a run's summary page (figures, charts, machine, command, date) to commit; with
    --replicate, how many of its verdicts a second run of the same profile reproduced."""
    runs = [saved(results_dir), *([saved(replicate)] if replicate else [])]
    first, *second = [
        Summary.load(d) if (d / "summary.json").exists() else summarise(d) for d in runs
    ]
    if second and (other := second[0].profile) != first.profile:
        fail(f"--replicate needs a run of the same profile ({first.profile}, not {other})")
    if second:
        replication.replicate(first, second[0]).dump(results_dir)
    else:  # one made before: read against the summary as it is now
        replication.reread(first, results_dir)
    md, html = report.publish(results_dir, out_dir, command)
    console.print(f"published {md} and {html}")


@app.command("compare")
def compare_cmd(
    run_a: Path,
    run_b: Path,
    out: Annotated[Path | None, Opt(help="also write the comparison as Markdown here")] = None,
) -> None:
    """B / A, cell by cell, of two saved runs (their summaries), paired by repetition."""
    runs = []
    for run_dir in (run_a, run_b):
        if not (run_dir / "summary.json").exists():
            fail(f"{run_dir} has no summary.json: not a saved run (python -m bench report it)")
        runs.append(Summary.load(run_dir))
    blocks = compare_blocks(*runs)
    for part in renderables(blocks):
        console.print(part)
    if out is not None:
        out.write_text(to_markdown(blocks), encoding="utf-8")


@app.command("list")
def list_cmd() -> None:
    """Scenarios, variants, fairness modes and profiles."""
    table = Table("scenario", "what", "closed users", "open rates (jobs/s)")
    for s in scenarios.SCENARIOS.values():
        table.add_row(
            s.name, s.description, str(s.closed_users), ", ".join(f"{r:g}" for r in s.open_rates)
        )
    console.print(table)
    shown = Table("variant", "backend", "app", "pool", "copy it?", "what")
    for v in variants.VARIANTS:
        shown.add_row(
            v.name, v.backend, v.app, v.pool, "yes" if v.recommended else "measured", v.note
        )
    console.print(shown)
    modes = Table("fairness mode", "Celery variant", "against taskiq, on these terms")
    for m in variants.MODES:
        modes.add_row(m.title, m.celery, m.terms)
    console.print(modes)
    profiles = Table("profile", "what", "cells")
    for p in PROFILES.values():
        profiles.add_row(p.name, p.description, str(len(plan(p))))
    console.print(profiles)


@app.command("features")
def features_cmd(
    rounds: Annotated[int, Opt(min=1, max=20, help="interleaved rounds")] = 2,
    results: Annotated[Path, Opt(help="where the figures are saved")] = Path("results"),
    page: Annotated[
        Path | None, Opt(help="render this saved figures JSON as a page beside it; run nothing")
    ] = None,
) -> None:
    """Delayed jobs' lateness (idle, under a backlog) and priorities' queue waits, per
    backend, on processes of its own (bench/features.py), with the feature matrix."""
    from bench import features

    if page is not None:
        if not page.is_file():
            raise typer.BadParameter(f"{page}: no such file", param_hint="--page")
        try:
            console.print(f"page: {features.write_page(page)}")
        except (ValueError, KeyError, TypeError) as e:  # not JSON, or not its figures
            raise typer.BadParameter(f"{page}: not a features run's figures ({e!r})") from e
        return
    console.print(f"saved: {features.main(rounds, results)}")

"""`python -m bench run | report | list`."""

import dataclasses
import socket
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import typer
from rich.table import Table

from bench import report
from bench.external import Refused, adapt
from bench.faults import FAULTS
from bench.jobsdb import JobsDB
from bench.orchestrator import Target
from bench.plan import plan
from bench.profiles import PROFILES, Profile
from bench.runs import console, execute, rerender
from bench.scenarios import MODELS, MODES, SCENARIOS, VARIANTS
from core.settings import Settings

app = typer.Typer(add_completion=False, help="Celery vs Taskiq benchmark harness.")


def fail(message: str) -> NoReturn:
    """One line on stderr naming the fix, exit 2: no usage box, nothing started."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _split(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def _check(values: tuple[str, ...] | None, allowed: tuple[str, ...] | list[str], what: str) -> None:
    unknown = sorted(set(values or ()) - set(allowed))
    if unknown:
        fail(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")


def _numbers(value: str | None, kind: type[float] | type[int], what: str) -> tuple[float, ...]:
    try:
        return tuple(kind(v) for v in _split(value) or ())
    except ValueError as exc:
        fail(f"{what} must be numbers: {exc}")


@app.command()
def run(
    profile: Annotated[str, typer.Argument(help="quick | standard | full | tiny")] = "quick",
    variants: Annotated[str | None, typer.Option(help="comma list, e.g. celery,taskiq")] = None,
    scenarios: Annotated[str | None, typer.Option(help="comma list of scenarios")] = None,
    models: Annotated[str | None, typer.Option(help="comma list of models, or none")] = None,
    faults: Annotated[str | None, typer.Option(help="comma list of faults, or none")] = None,
    reps: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    duration: Annotated[
        float | None, typer.Option(min=1, max=3600, help="measured s, closed/open")
    ] = None,
    warmup: Annotated[float | None, typer.Option(min=0, max=600)] = None,
    window: Annotated[float | None, typer.Option(min=1, max=3600, help="drain window, s")] = None,
    users: Annotated[str | None, typer.Option(help="closed-model users, comma list")] = None,
    rates: Annotated[str | None, typer.Option(help="open-model jobs/s, comma list")] = None,
    prefetch_sweep: Annotated[
        str | None, typer.Option(help="prefetch values for noop drains, or none")
    ] = None,
    jobcost: Annotated[bool | None, typer.Option(help="in-process job cost cells")] = None,
    calibrate: Annotated[bool | None, typer.Option(help="harness overhead calibration")] = None,
    processes: Annotated[int | None, typer.Option(min=1, max=64, help="worker processes")] = None,
    slots: Annotated[
        int | None, typer.Option(min=1, max=1000, help="in flight per process")
    ] = None,
    prefetch: Annotated[int | None, typer.Option(min=1, max=10_000, help="per process")] = None,
    external: Annotated[
        bool, typer.Option(help="drive a running deployment; start nothing")
    ] = False,
    api_url: Annotated[str | None, typer.Option(help="with --external")] = None,
    api_port: Annotated[int, typer.Option(help="local API port")] = 8000,
    stub_port: Annotated[int, typer.Option(help="local stub port")] = 8090,
    locust_workers: Annotated[
        int, typer.Option(min=0, max=64, help="Locust master + N workers")
    ] = 0,
    database_url: Annotated[str | None, typer.Option(help="default: DATABASE_URL")] = None,
    results: Annotated[Path, typer.Option(help="where runs are saved")] = Path("results"),
) -> None:
    """Run a profile (optionally narrowed or widened by options) and write the report."""
    base = PROFILES.get(profile)
    if base is None:
        names = ", ".join(PROFILES)
        fail(f"unknown profile {profile!r} (choose from {names}; BENCH_PROFILE in compose)")
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
    changes: dict[str, object] = {k: v for k, v in chosen.items() if v is not None}
    numbers = {
        "users": _numbers(users, int, "--users"),
        "rates": _numbers(rates, float, "--rates"),
        "prefetch_sweep": _numbers(
            None if prefetch_sweep == "none" else prefetch_sweep, int, "--prefetch-sweep"
        ),
    }
    changes |= {k: v for k, v in numbers.items() if v}
    if prefetch_sweep == "none":
        changes["prefetch_sweep"] = ()
    given = {
        "reps": reps,
        "duration_s": duration,
        "warmup_s": warmup,
        "drain_window_s": window,
        "jobcost": jobcost,
        "calibrate": calibrate,
    }
    changes |= {k: v for k, v in given.items() if v is not None}
    prof = dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    overrides: dict[str, object] = {"celery_task_events": False}
    for key, value in (
        ("worker_processes", processes),
        ("worker_slots", slots),
        ("worker_prefetch", prefetch),
        ("database_url", database_url),
    ):
        if value:
            overrides[key] = value
    if not external:
        overrides["stub_url"] = f"http://127.0.0.1:{stub_port}"
        api_url = f"http://127.0.0.1:{api_port}"
        for port, option in ((api_port, "--api-port"), (stub_port, "--stub-port")):
            if port_in_use(port):
                fail(f"port {port} is in use: stop what runs there or pass {option}")
    elif api_url is None:
        fail("--external needs --api-url (and usually --database-url)")
    settings = Settings(**overrides)  # type: ignore[arg-type]
    db = JobsDB(settings.database_url)
    try:
        db.check_schema()
    except RuntimeError as exc:
        fail(str(exc))
    finally:
        db.close()
    if external:
        prof = external_profile(prof, settings, api_url, variants is not None, faults is not None)
    target = Target(api_url, settings, external, api_port, stub_port, locust_workers)
    execute(prof, target, results)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def external_profile(
    prof: Profile, settings: Settings, api_url: str, asked_variants: bool, asked_faults: bool
) -> Profile:
    """What an external run can measure of the profile; refused, with why, if nothing."""
    try:
        httpx.get(f"{api_url}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        fail(f"the API at {api_url} is not healthy ({exc}): start the deployment first")
    try:
        adapted = adapt(prof, settings, asked_variants, asked_faults)
    except Refused as exc:
        fail(f"--external: {exc}")
    dropped = [m for m in prof.models if m not in adapted.models]
    dropped += [f"fault {f}" for f in prof.faults if f not in adapted.faults]
    if prof.calibrate or prof.jobcost:
        dropped.append("calibration and job-cost cells")
    if dropped:
        console.print(
            f"[yellow]--external: without {', '.join(dropped)} (they need workers or processes "
            "this run does not own)[/]"
        )
    console.print(f"--external: variants {', '.join(adapted.variants)} (the workers up)")
    return adapted


@app.command("report")
def report_cmd(results_dir: Path) -> None:
    """Re-analyse a saved run from its raw files and re-render report.md / report.html."""
    if not (results_dir / "summary.json").exists():
        fail(f"{results_dir} has no summary.json: not a saved run")
    rerender(results_dir)


@app.command("publish")
def publish_cmd(
    results_dir: Path,
    out_dir: Annotated[Path, typer.Argument(help="e.g. docs/results/<date>-standard")],
    command: Annotated[str, typer.Option(help="the command that produced the run")],
) -> None:
    """Write a run's summary page (figures, charts, machine, command, date) to commit."""
    if not (results_dir / "summary.json").exists():
        fail(f"{results_dir} has no summary.json: not a saved run")
    md, html = report.publish(results_dir, out_dir, command)
    console.print(f"published {md} and {html}")


@app.command("list")
def list_cmd() -> None:
    """Scenarios, variants, fairness modes and profiles."""
    table = Table("scenario", "what", "closed users", "open rates (jobs/s)")
    for s in SCENARIOS.values():
        table.add_row(
            s.name, s.description, str(s.closed_users), ", ".join(f"{r:g}" for r in s.open_rates)
        )
    console.print(table)
    console.print("variants: " + ", ".join(VARIANTS))
    modes = Table("fairness mode", "Celery variant", "against taskiq, on these terms")
    for m in MODES:
        modes.add_row(m.title, m.celery, m.terms)
    console.print(modes)
    profiles = Table("profile", "what", "cells")
    for p in PROFILES.values():
        profiles.add_row(p.name, p.description, str(len(plan(p))))
    console.print(profiles)

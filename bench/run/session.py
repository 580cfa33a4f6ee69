"""One run: the processes every cell shares, the cells in order with a progress line,
and for each cell its raw record (bench/raw.py) and CSVs under results/<run>/cells/<cell>/.
It writes raw data only; bench/analyse turns it into the summary afterwards."""

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bench.raw import CALLS_CSV, JOBS_CSV, Cell, CellRecord, Marks, RunRecord, write_rows
from bench.run import tune
from bench.run.context import Context, Phase
from bench.run.faults import registry
from bench.run.loads import drain, jobcost, locust_driven
from bench.run.plan import plan
from bench.run.probes import amqp
from bench.run.probes.jobsdb import JobsDB
from bench.run.probes.ledger import environment, fairness_ledger
from bench.run.processes.netdelay import Distance
from bench.run.processes.services import Services
from bench.run.processes.supervisor import managed
from bench.run.processes.workers import Workers
from bench.run.target import Target
from bench.spec.models import Model
from bench.spec.profiles import Profile
from bench.spec.variants import API_BY_NAME, BENCH_API
from core.settings import Settings

READS_ORDERS = ("sales_report", "mixed")  # scenarios whose cost depends on the orders table
console = Console(width=None if sys.stdout.isatty() else 160)


def child_env(settings: Settings) -> dict[str, str]:
    """What every process the harness starts reads through core.Settings (and Locust)."""
    token = {"API_TOKEN": settings.api_token} if settings.api_token else {}
    return {
        **token,
        "DATABASE_URL": settings.database_url,
        "WORKER_PROCESSES": str(settings.worker_processes),
        "WORKER_SLOTS": str(settings.worker_slots),
        "WORKER_PREFETCH": str(settings.prefetch),
        "CELERY_TASK_EVENTS": "false",
        "STUB_URL": settings.stub_url,
        "LOOP_LAG_PROBE_MS": "10",
        **registry.run_env(),
    }


def label(cell: Cell) -> str:
    extra = f" prefetch {cell.prefetch}" if cell.prefetch else " bare" if cell.bare else ""
    if cell.processes:
        extra = f" {cell.processes}x{cell.slots} q{cell.prefetch}"
    load = f"{cell.load:g}"
    if cell.share:
        load = f"{cell.share:.0%} vs {cell.against}" if cell.against else f"{cell.load:g} jobs/s"
    return f"{cell.variant} {cell.scenario} {cell.model} {load} r{cell.rep}{extra}"


class Session:
    """Runs one cell at a time and writes what it saw."""

    def __init__(self, run_dir: Path, ctx: Context) -> None:
        self.run_dir, self.ctx = run_dir, ctx
        self.backlogs = drain.Backlogs(ctx.profile, ctx.workers.sized)
        self.rates: dict[tuple[str, tuple[str, ...], float], float] = {}

    def offered(self, cell: Cell) -> Cell:
        """A latency cell with its rate: its share of the slower median drain rate of its
        pair in this run, the same for both variants and every repetition."""
        if cell.against is None:  # the tune's: a share of its own rate, set when planned
            return cell
        assert cell.share is not None
        pair = tuple(sorted((cell.variant, cell.against)))
        key = (cell.scenario, pair, cell.share)
        if key not in self.rates:
            capacity = self.backlogs.capacity(cell.scenario, pair)
            if capacity is None:
                raise RuntimeError(f"no drain of {cell.scenario} by {' and '.join(pair)} in this "
                                   "run: a latency cell's rate is a share of theirs")  # fmt: skip
            self.rates[key] = round(cell.share * capacity, 1)
        return cell.model_copy(update={"load": self.rates[key]})

    def run_cell(self, cell: Cell, on_phase: Phase) -> Path:
        ctx, run_id = self.ctx, f"{self.run_dir.name}.{cell.index:03d}"
        if cell.model is Model.latency:
            cell = self.offered(cell)
        cell_dir = self.run_dir / "cells" / run_id
        cell_dir.mkdir(parents=True, exist_ok=True)
        if not ctx.target.external:  # never a deployment's messages
            amqp.each_queue(ctx.settings, "purge")
        ctx.services.stub_calls(reset=True)
        if cell.scenario in READS_ORDERS and not ctx.target.external:
            ctx.db.seed_orders()  # the same dataset for every cell, whatever ran before
        marks = self.load(cell, run_id, cell_dir, on_phase)
        ids = ctx.db.export(run_id, cell_dir / JOBS_CSV)
        if cell.model.producer and not ctx.target.external:  # no worker consumed them
            amqp.each_queue(ctx.settings, "purge")
            marks.discarded = ctx.db.discard_unstarted(run_id)
        calls = ctx.services.stub_calls()
        if calls is not None:
            per_job = sorted((i, calls.get(i, 0)) for i in ids)
            write_rows(cell_dir / CALLS_CSV, ["id", "calls"], per_job)
        s = ctx.workers.sized(cell)
        CellRecord(
            cell=cell, cell_id=run_id, processes=s.worker_processes, slots=s.worker_slots,
            prefetch=s.prefetch, cpus=os.cpu_count() or 1, marks=marks,
        ).dump(cell_dir)  # fmt: skip
        return cell_dir

    def load(self, cell: Cell, run_id: str, cell_dir: Path, on_phase: Phase) -> Marks:
        ctx = self.ctx
        if cell.model is Model.jobcost:
            on_phase("in-process job cost")
            ctx.workers.stop()
            return jobcost.run_cell(ctx.procs, ctx.db, cell, run_id, cell_dir)
        if cell.model is Model.drain:
            ctx.services.ensure_api(BENCH_API)
            return drain.run(ctx, self.backlogs, cell, run_id, cell_dir, on_phase)
        api = API_BY_NAME[cell.variant].app if cell.model.producer else BENCH_API
        ctx.services.ensure_api(api, cell.api_workers or 1)
        return locust_driven.run(ctx, cell, run_id, cell_dir, on_phase)


def phase_of(progress: Progress, bar: TaskID, text: str) -> Callable[[str], None]:
    return lambda what: progress.update(bar, description=f"{text}: {what}")


def execute(
    profile: Profile, target: Target, results: Path, not_run: dict[str, str] | None = None
) -> Path:
    """Run every cell of the profile; the run's directory, its raw records written.
    `not_run`: the profile's faults left out, with why (their tools are not here)."""
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = results / run_id
    run_dir.mkdir(parents=True)
    record = RunRecord(
        run_id=run_id, profile=profile.name, smoke=profile.smoke,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        ledger=fairness_ledger(target.settings, profile),
        environment=environment(target.settings), not_run=not_run or {},
    )  # fmt: skip
    record.dump(run_dir)
    t0, cells = time.monotonic(), plan(profile)
    console.print(f"[bold]run {run_id}[/]: profile {profile.name}, {len(cells)} cells -> {run_dir}")
    with managed(run_dir / "logs", child_env(target.settings)) as procs:
        db = JobsDB(target.settings.database_url)
        services = Services(procs, target, db)
        workers = Workers(procs, target)
        if profile.rtts:
            workers.distance = Distance(procs, target.settings, target.proxy_port)
        ctx = Context(profile, target, procs, db, services, workers)
        try:
            services.start()
            session = Session(run_dir, ctx)
            run_cells(session, cells)
            for stage in tune.stages(profile, cells, session.backlogs.by_cell):
                run_cells(session, stage)  # a tune's: planned from the cells before
        finally:
            ctx.workers.stop()
            services.close()
            db.close()
    record.wall_s = round(time.monotonic() - t0, 1)
    record.dump(run_dir)
    return run_dir


def run_cells(session: Session, cells: list[Cell]) -> None:
    done = TextColumn("{task.completed}/{task.total}")
    columns = [TextColumn("{task.description}"), BarColumn(), done]
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        bar = progress.add_task("starting", total=len(cells))
        for n, cell in enumerate(cells, 1):
            if not console.is_terminal:  # no live display: a line per cell instead
                console.print(f"[{n}/{len(cells)}] {label(cell)}")
            if cell.bare:  # the calibration's bare drain: no live display either
                progress.stop()
                session.run_cell(cell, lambda _: None)
                progress.start()
            else:
                session.run_cell(cell, phase_of(progress, bar, label(cell)))
            progress.advance(bar)

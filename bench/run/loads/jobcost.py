"""What a job costs without any queue: its rows are run through core.lifecycle in
this process, `concurrency` at a time, and the process's CPU time is divided by the
jobs done, at each level of jobs in flight given:
`python -m bench.run.loads.jobcost price_order --concurrency 1 --concurrency 16 --seconds 3`.

The harness runs it as a cell of its own (standard and full profiles, `run_cell`), so a
drain's worker CPU per job can be split into the job's own cost and the queue path's.
"""

import asyncio
import json
import random
import time
from pathlib import Path
from typing import Annotated
from uuid import uuid4

import httpx
import typer
from sqlalchemy import delete, insert

from bench.raw import JOBCOST_JSON, Cell, Marks
from bench.run import commands
from bench.run.probes.jobsdb import JobsDB
from bench.run.processes.supervisor import Processes
from bench.spec.scenarios import SCENARIOS
from bench_service.jobs import bench_jobs
from core.contract import JobStatus
from core.db import WORKER_ROLE, make_engine, make_sessionmaker
from core.lifecycle import Outcome, execute
from core.models import Job
from core.settings import Settings

JOBS = bench_jobs()  # the four jobs and the probes the noop and sleep scenarios run
WARMUP_JOBS = 20
SECONDS = 3.0  # measured per level in a harness cell, after the warm-up
LOADS = (1.0, 16.0)  # jobs in flight in one process, in a harness cell


def run_cell(procs: Processes, db: JobsDB, cell: Cell, run_id: str, cell_dir: Path) -> Marks:
    """The scenario's job in a process of its own, through the lifecycle, no queue, at each
    of LOADS jobs in flight."""
    marks = Marks(t_load_start=db.now())
    cmd = commands.jobcost(cell.scenario, LOADS, SECONDS, run_id, cell_dir / JOBCOST_JSON)
    proc = procs.start("jobcost", cmd)
    try:
        proc.wait(len(LOADS) * SECONDS + 120)
    finally:
        procs.stop("jobcost")
    if proc.returncode != 0:
        log = (procs.log_dir / "jobcost.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"job-cost run failed (exit {proc.returncode}):\n{log}")
    return marks


def queued_rows(scenario: str, count: int, run_id: str) -> list[dict[str, object]]:
    """The rows the API would have written for `count` jobs of the scenario."""
    rng, rows = random.Random(0), []
    for _ in range(count):
        task, payload = SCENARIOS[scenario].generate(rng)
        rows.append({"id": uuid4(), "backend": "in-process", "task": task, "payload": payload,
                     "status": JobStatus.queued, "attempts": 0, "run_id": run_id})  # fmt: skip
    return rows


async def measure(
    settings: Settings, scenario: str, concurrency: int, seconds: float, run_id: str
) -> dict[str, object]:
    engine = make_engine(settings, role=WORKER_ROLE)
    sessionmaker = make_sessionmaker(engine)
    count = WARMUP_JOBS + min(20_000, int(SCENARIOS[scenario].drain_rate * seconds * 1.5))
    rows = queued_rows(scenario, count, run_id)
    async with sessionmaker() as session:
        await session.execute(insert(Job), rows)
        await session.commit()
    pending = iter(rows)
    outcomes: list[Outcome] = []

    async with httpx.AsyncClient(timeout=settings.http_timeout_s) as http:

        async def one(row: dict[str, object]) -> None:
            async with sessionmaker() as session:
                task = str(row["task"])
                job_id = str(row["id"])
                outcomes.append(await execute(session, http, settings, task, job_id, JOBS))

        async def slot(deadline: float) -> None:
            while time.perf_counter() < deadline and (row := next(pending, None)) is not None:
                await one(row)

        await asyncio.gather(*(one(next(pending)) for _ in range(WARMUP_JOBS)))
        outcomes.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(slot(wall0 + seconds) for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0

    async with sessionmaker() as session:  # rows never run: not part of any figure
        await session.execute(
            delete(Job).where(Job.run_id == run_id, Job.status == JobStatus.queued)
        )
        await session.commit()
    await engine.dispose()
    done = sum(o == Outcome.done for o in outcomes)
    return {
        "scenario": scenario,
        "concurrency": concurrency,
        "jobs": done,
        "not_done": len(outcomes) - done,
        "cpu_s": round(cpu, 4),
        "wall_s": round(wall, 4),
        "cpu_ms_per_job": round(1000 * cpu / done, 4) if done else None,
        "jobs_per_s": round(done / wall, 2) if wall else None,
    }


def main(
    scenario: Annotated[str, typer.Argument(help="a scenario of `python -m bench list`")],
    concurrency: Annotated[
        list[int] | None, typer.Option(min=1, max=1000, help="jobs in flight; repeatable")
    ] = None,
    seconds: Annotated[float, typer.Option(min=0.5, max=600)] = 3.0,
    run_id: Annotated[str, typer.Option()] = "jobcost",
    out: Annotated[Path | None, typer.Option(help="write the figures here as JSON")] = None,
) -> None:
    if scenario not in SCENARIOS:
        raise typer.BadParameter(
            f"unknown scenario {scenario!r} (choose from {', '.join(SCENARIOS)})"
        )
    levels = concurrency or [1]
    settings = Settings()
    figures = [
        asyncio.run(measure(settings, scenario, c, seconds, f"{run_id}.c{c}")) for c in levels
    ]
    text = json.dumps(figures, indent=2)
    if out is not None:
        out.write_text(text)
    print(text)


if __name__ == "__main__":
    typer.run(main)

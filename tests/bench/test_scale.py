"""The scale profile, run for real: each configuration's processes reach the workers (the
sleep probe's jobs/s doubles with them), and the API's enqueue is measured at each number of
its processes; and the service's Taskiq worker drained beside the minimal one."""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.raw import read_rows
from bench.spec.models import Model, Purpose
from bench.summary import Summary
from tests.helpers.bench import bench_run, most_at_once

pytestmark = pytest.mark.timeout(600)  # each fixture's real run is its first test's
ONE, TWO = "taskiq@1x2 q2", "taskiq@2x2 q2"


@pytest.fixture(scope="module")
def scale_dir(tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine) -> Path:
    return bench_run(
        tmp_path_factory.mktemp("results"), "scale", "--space", f"{ONE},{TWO}",
        *("--scenarios", "sleep", "--reps", "2", "--window", "2", "--api-workers", "1,2"),
        *("--duration", "2", "--warmup", "1"),
    )  # fmt: skip


def test_processes_reach_the_workers(scale_dir: Path) -> None:
    summary = Summary.load(scale_dir)
    drains = {g.variant: g for g in summary.groups if g.model == Model.drain}
    assert set(drains) == {ONE, TWO} and all(g.throughput.n == 2 for g in drains.values())
    ratio = (drains[TWO].throughput.median or 0) / (drains[ONE].throughput.median or 1)
    assert 1.7 < ratio < 2.3, ratio  # 2 slots of a 100 ms sleep per process
    for cell in summary.cells:
        if cell.model == Model.drain:
            jobs = read_rows(scale_dir / "cells" / cell.cell_id / "jobs.csv")
            assert most_at_once(jobs) == (4 if cell.variant == TWO else 2), cell.variant


def test_the_api_is_measured_at_each_number_of_processes(scale_dir: Path) -> None:
    summary = Summary.load(scale_dir)
    enqueue = {g.variant: g for g in summary.groups if g.model == Model.enqueue}
    assert set(enqueue) == {"taskiq@1 API processes", "taskiq@2 API processes"}
    assert all(g.purpose == Purpose.scale and (g.throughput.median or 0) > 0
               for g in enqueue.values())  # fmt: skip
    report = (scale_dir / "report.md").read_text()
    assert "## Scaling with worker processes" in report
    assert "## The API's enqueue by uvicorn processes" in report


@pytest.fixture(scope="module")
def minimal_dir(tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine) -> Path:
    return bench_run(
        tmp_path_factory.mktemp("results"), "standard", "--variants", "taskiq,taskiq-minimal",
        *("--scenarios", "sleep", "--models", "drain", "--faults", "none", "--reps", "3"),
        *("--window", "2", "--slots", "4", "--no-jobcost", "--no-calibrate"),
        *("--prefetch-sweep", "none", "--rtt-ms", "none"),
    )  # fmt: skip


def test_the_minimal_taskiq_worker_runs_the_jobs_and_is_priced(minimal_dir: Path) -> None:
    summary = Summary.load(minimal_dir)
    minimal = [c for c in summary.cells if c.variant == "taskiq-minimal"]
    assert len(minimal) == 3 and all(c.valid and c.completed > 0 for c in minimal)
    assert all(c.failed == 0 and c.lost == 0 for c in summary.cells)
    [overhead] = summary.overheads
    assert (overhead.scenario, overhead.variant, overhead.reference) == (
        "sleep",
        "taskiq",
        "taskiq-minimal",
    )
    # 8 slots of a 100 ms sleep each: the same rate, whatever either adds per job
    assert overhead.throughput_ratio.n == 3 and 0.85 < (overhead.throughput_ratio.point or 0) < 1.15
    assert (
        "## The service's worker against a minimal one" in (minimal_dir / "report.md").read_text()
    )

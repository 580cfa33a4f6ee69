"""A tiny real run (both backends, one task, seconds per cell): it must produce a
report whose throughput and CPU per job agree with the raw data (a direct SQL count
over each cell's window), lose nothing under a worker kill, and leave no process
behind."""

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.raw import CellRecord
from bench.run.loads.locust_driven import RECONNECT_LIMIT_S
from bench.summary import Summary
from tests.helpers.processes import ROOT

DONE_IN_WINDOW = """
    SELECT count(*) FROM jobs WHERE run_id = :r AND status = 'done'
      AND extract(epoch FROM finished_at) >= :a AND extract(epoch FROM finished_at) < :b"""
# What the run starts: its API and stub (by their ports), workers and Locust. The suite's
# own stub (another port) may legitimately still be running.
OURS = ("workers_celery", "workers_taskiq", "bench/locustfile.py", "--port 18000", "--port 18091")


def leftovers() -> list[str]:
    """Processes of this checkout's Python (the harness starts every child with it) that look
    like the run's: not a compose suite's, or another checkout's, on the same host."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        argv = p.info["cmdline"] or []
        cmd = " ".join(argv)
        ours = bool(argv) and argv[0] == sys.executable
        if ours and any(mark in cmd for mark in OURS) and "pytest" not in cmd:
            found.append(f"{p.pid}: {cmd[:120]}")
    return found


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine) -> Path:
    """`engine`: the test database is migrated first."""
    results = tmp_path_factory.mktemp("results")
    cmd = [sys.executable, "-m", "bench", "run", "tiny", "--results", str(results)]
    cmd += ["--api-port", "18000", "--stub-port", "18091"]
    done = subprocess.run(
        cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "report:" in done.stdout and "taskiq" in done.stdout  # the summary was printed
    [run] = list(results.iterdir())
    return run


def test_report_files_and_no_orphans(run_dir: Path) -> None:
    assert (run_dir / "report.md").exists() and (run_dir / "report.html").exists()
    assert leftovers() == []
    cells = list((run_dir / "cells").iterdir())
    assert len(cells) == 8  # drain + closed + latency + worker-kill, for each backend
    for cell in cells:
        assert (cell / "jobs.csv").exists() and (cell / "samples.csv").exists()
    assert any((cell / "locust_stats.csv").exists() for cell in cells)


async def test_throughput_and_cost_agree_with_sql(run_dir: Path, engine: AsyncEngine) -> None:
    summary = Summary.load(run_dir)
    assert {c.variant for c in summary.cells} == {"celery", "taskiq"}
    async with engine.connect() as conn:
        for cell in summary.cells:
            if cell.fault is not None:
                continue
            marks = CellRecord.load(run_dir / "cells" / cell.cell_id).marks
            a, b = (
                (marks.t_window_start, marks.t_window_end)
                if cell.model == "drain"
                else (marks.t_measure_start, marks.t_measure_end)
            )
            assert a is not None and b is not None
            done = await conn.scalar(text(DONE_IN_WINDOW), {"r": cell.cell_id, "a": a, "b": b})
            assert done and done > 0, cell.cell_id
            assert cell.throughput == pytest.approx(done / (b - a), rel=1e-3), cell.cell_id
            # CPU per job: the workers' CPU seconds in the window over the jobs done in it.
            workers = cell.usage["workers"]
            assert workers.cpu_s > 0
            assert cell.cpu_ms_per_job["workers"] == pytest.approx(
                1000 * workers.cpu_s / done, rel=1e-3
            )
            assert (cell.lost, cell.failed, cell.duplicate_deliveries) == (0, 0, 0)
    assert summary.comparisons and all(c.throughput_ratio.n == 1 for c in summary.comparisons)


def test_html_is_self_contained_with_charts(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert html.count("<svg") >= 4 and "SMOKE RUN" in html
    for external in ('src="http', 'href="http', "url(http", "@import"):
        assert external not in html


def test_report_can_be_rerendered(run_dir: Path) -> None:
    before = (run_dir / "report.md").read_text()
    (run_dir / "report.md").unlink()
    cmd = [sys.executable, "-m", "bench", "report", str(run_dir)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (run_dir / "report.md").read_text() == before


def test_worker_kill_loses_nothing(run_dir: Path) -> None:
    summary = Summary.load(run_dir)
    kills = [c for c in summary.cells if c.fault is not None]
    assert sorted(c.variant for c in kills) == ["celery", "taskiq"]
    for cell in kills:
        assert cell.fault is not None and cell.fault.fault == "worker-kill"
        assert cell.fault.notes and cell.fault.notes[0].startswith("SIGKILL pid")
        assert cell.accepted > 0 and cell.done == cell.accepted
        assert (cell.lost, cell.failed) == (0, 0)
        assert cell.fault.consuming_after and cell.fault.recovery_s is not None
        # looked for after the drain with the harness's wait, not once
        assert cell.fault.consumers_limit_s == RECONNECT_LIMIT_S
        assert cell.fault.consumers_waited_s is not None
    report = (run_dir / "report.md").read_text()
    assert "## Delivery under faults" in report and "worker-kill" in report


def test_latency_cells_offer_a_quarter_of_the_slower_drain_rate(run_dir: Path) -> None:
    summary = Summary.load(run_dir)
    drains = {c.variant: c.throughput for c in summary.cells if c.model == "drain"}
    latency = {c.variant: c for c in summary.cells if c.model == "latency"}
    assert set(latency) == {"celery", "taskiq"}
    for cell in latency.values():
        assert cell.load == round(0.25 * min(drains.values()), 1) and cell.share == 0.25
        assert cell.arrivals is not None and cell.valid, cell.flags
        a = cell.arrivals
        assert a.due > 0 and a.sent == a.due and a.accepted == a.due
        assert a.late_p99_ms is not None and cell.e2e_ms.p99 is not None
        assert cell.queue_wait_ms.p99 is not None and cell.queue_wait_ms.p99 <= cell.e2e_ms.p99
    # the same seeded arrivals for both variants of the pair
    celery, taskiq = (latency[v].arrivals for v in ("celery", "taskiq"))
    assert celery and taskiq and (celery.rate, celery.due) == (taskiq.rate, taskiq.due)
    [comp] = [c for c in summary.comparisons if c.model == "latency"]
    assert comp.e2e_p99_ratio is not None
    if any(cell.overloaded for cell in latency.values()):
        # a box too loaded for even a quarter: the pair must be left out, not compared
        assert comp.e2e_p99_ratio.n == 0 and comp.e2e_p99_ratio.point is None
    else:
        assert comp.e2e_p99_ratio.n == 1 and comp.e2e_p99_ratio.point is not None
    assert "### Latency under open load" in (run_dir / "report.md").read_text()

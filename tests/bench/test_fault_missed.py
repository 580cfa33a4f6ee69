"""A fault whose injection fails at run time: the harness runs its cell for real (API, stub,
a Taskiq worker, Locust), the injection raises, and the cell is invalid, listed with the
reason and left out of every count of the report."""

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import report
from bench.analyse import summarise
from bench.run.faults.registry import INJECTORS
from bench.run.faults.strike import FaultContext
from bench.run.session import execute
from bench.run.target import Target
from bench.spec.profiles import PROFILES
from core.settings import Settings

API_PORT, STUB_PORT = 18043, 18044


def broken(ctx: FaultContext) -> None:
    raise RuntimeError("simulated: the fault's tool is broken")


def test_a_fault_that_fails_is_listed_and_never_counted(
    tmp_path: Path, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(INJECTORS["worker-kill"], "strike", broken)
    profile = dataclasses.replace(
        PROFILES["tiny"], variants=("taskiq",), models=(), faults=("worker-kill",),
        fault_duration_s=4.0,
    )  # fmt: skip
    settings = Settings(celery_task_events=False, stub_url=f"http://127.0.0.1:{STUB_PORT}")
    target = Target(f"http://127.0.0.1:{API_PORT}", settings, False, API_PORT, STUB_PORT)
    run_dir = execute(profile, target, tmp_path)
    summary = summarise(run_dir)
    [cell] = summary.cells
    assert not cell.valid
    assert cell.flags == [
        "fault injection failed: RuntimeError: simulated: the fault's tool is broken"
    ]
    assert cell.accepted > 0  # the load ran: only the fault did not
    md = report.render(run_dir)[0].read_text()
    faults_part = md.split("## Delivery under faults")[1]
    assert "No fault cell counts: none of the faults struck" in faults_part
    assert f"| {cell.cell_id} | worker-kill | taskiq | fault injection failed" in faults_part
    assert not any(line.startswith("| worker-kill |") for line in faults_part.splitlines())

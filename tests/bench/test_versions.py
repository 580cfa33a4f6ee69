"""A saved record of a version this harness does not know (a newer harness wrote it) is
refused, naming the file and the versions it reads; `python -m bench report` says so in one
line and exits non-zero. A record without a version loads as the older record it is."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.jsonfile import UnknownVersion
from bench.raw import RAW_VERSIONS, Cell, CellRecord, Marks, RunRecord
from bench.replication import Replication
from bench.spec.models import Model
from bench.summary import Summary
from tests.bench.test_report import make_summary
from tests.helpers.processes import ROOT

READS = ", ".join(map(str, RAW_VERSIONS))  # what the message names: 1, 2, 3, ...


def saved_run(run_dir: Path, cell_version: int) -> Path:
    """A run of one drain cell whose cell.json says `cell_version`; the cell's directory."""
    run_dir.mkdir()
    RunRecord(run_id=run_dir.name, profile="tiny", started="2026-12-05T12:00:00+00:00").dump(
        run_dir
    )
    cell_dir = run_dir / "cells" / f"{run_dir.name}.000"
    cell_dir.mkdir(parents=True)
    cell = Cell(index=0, variant="taskiq", scenario="noop", model=Model.drain, load=0.0, rep=0)
    record = CellRecord(cell=cell, cell_id=cell_dir.name, processes=2, slots=32, prefetch=32,
                        cpus=2, marks=Marks(t_load_start=1.0))  # fmt: skip
    data = json.loads(record.model_dump_json())
    (cell_dir / CellRecord.FILE).write_text(json.dumps({**data, "version": cell_version}))
    return cell_dir


def with_version(path: Path, version: int) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": version}))


def test_every_record_of_an_unknown_version_is_refused_by_name(tmp_path: Path) -> None:
    cell_dir = saved_run(tmp_path / "20261205-120000", cell_version=99)
    with pytest.raises(
        UnknownVersion, match=rf"cell.json is version 99; this harness reads {READS}"
    ):
        CellRecord.load(cell_dir)
    run_dir = cell_dir.parent.parent
    with_version(run_dir / RunRecord.FILE, 99)
    with pytest.raises(UnknownVersion, match=r"run.json is version 99"):
        RunRecord.load(run_dir)
    make_summary().dump(tmp_path)
    with_version(tmp_path / Summary.FILE, 99)
    with pytest.raises(UnknownVersion, match=r"summary.json is version 99; this harness reads 1"):
        Summary.load(tmp_path)
    Replication(first_run="a", second_run="b", second_started="", margin=0.05, rows=[]).dump(
        tmp_path
    )
    with_version(tmp_path / Replication.FILE, 3)
    with pytest.raises(UnknownVersion, match=r"replication.json is version 3"):
        Replication.load(tmp_path)


def test_a_summary_without_a_version_loads_as_before(tmp_path: Path) -> None:
    """(The first harness's unversioned cell.json and run: tests/bench/test_raw.py.)"""
    make_summary().dump(tmp_path)
    data = json.loads((tmp_path / Summary.FILE).read_text())
    del data["version"]
    (tmp_path / Summary.FILE).write_text(json.dumps(data))
    assert Summary.load(tmp_path).run_id == make_summary().run_id


def test_report_of_a_run_with_an_unknown_cell_version_is_one_line(tmp_path: Path) -> None:
    cell_dir = saved_run(tmp_path / "20261205-120000", cell_version=99)
    cmd = [sys.executable, "-m", "bench", "report", str(cell_dir.parent.parent)]
    done = subprocess.run(cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line == (
        f"error: {cell_dir / CellRecord.FILE} is version 99; this harness reads {READS}"
    )
    assert not (cell_dir.parent.parent / Summary.FILE).exists()  # nothing written

"""The raw records: dumped and loaded by one class, versioned, and what the first harness
wrote (a flat cell.json, a summary.json holding the run's ledger) still loads."""

import json
from pathlib import Path

from bench.raw import RAW_VERSION, Cell, CellRecord, Marks, RunRecord
from bench.spec.models import Model, Purpose


def test_a_cell_record_round_trips(tmp_path: Path) -> None:
    cell = Cell(index=3, variant="taskiq", scenario="noop", model=Model.drain, load=0.0, rep=1)
    marks = Marks(t_load_start=10.0, t_window_start=11.0, t_window_end=21.0, backlog=900)
    marks.not_measured = {"postgres": "not measured here"}
    record = CellRecord(cell=cell, cell_id="r.003", processes=2, slots=32, prefetch=32,
                        cpus=2, marks=marks)  # fmt: skip
    record.dump(tmp_path)
    back = CellRecord.load(tmp_path)
    assert back == record and back.version == RAW_VERSION
    assert json.loads((tmp_path / "cell.json").read_text())["version"] == RAW_VERSION


def test_the_first_harnesss_flat_cell_json_loads(tmp_path: Path) -> None:
    flat = {
        "index": 7, "variant": "celery", "scenario": "fault_mix", "model": "fault", "load": 8.0,
        "rep": 0, "fault": "db-drop", "purpose": "fault", "bare": False,
        "cell_id": "r.007", "backend": "celery", "processes": 2, "slots": 32, "prefetch": 32,
        "cpus": 2, "offered": 8.0, "t_load_start": 1.0, "t_measure_start": 3.0,
        "t_measure_end": 18.0, "t_end": 19.0, "t_fault": 8.0, "fault_notes": ["x"],
        "drained": True, "dead_lettered": 0, "left_in_queue": 0, "consumers": 1,
    }  # fmt: skip
    (tmp_path / "cell.json").write_text(json.dumps(flat))
    (tmp_path / "not_measured.json").write_text(json.dumps({"rabbitmq": "unseen"}))
    record = CellRecord.load(tmp_path)
    assert record.version == 1 and record.cell.purpose is Purpose.fault
    assert record.cell.model is Model.fault and record.cell.fault == "db-drop"
    assert record.offered == 8.0 and record.marks.t_fault == 8.0
    assert (record.prefetch, record.cell.prefetch) == (32, None)  # in force; not a sweep's
    assert record.marks.fault_notes == ["x"] and record.marks.not_measured == {"rabbitmq": "unseen"}


def test_a_run_without_run_json_takes_its_record_from_the_old_summary(tmp_path: Path) -> None:
    old = {"run_id": "20261125-171957", "profile": "standard", "smoke": False,
           "started": "2026-11-25T17:19:57+00:00", "wall_s": 2344.0, "ledger": {"a": 1},
           "environment": {"cpus": 2}, "cells": []}  # fmt: skip
    (tmp_path / "summary.json").write_text(json.dumps(old))
    run = RunRecord.load(tmp_path)
    assert (run.version, run.profile, run.wall_s, run.ledger) == (1, "standard", 2344.0, {"a": 1})

"""What a fault did while it lasted is counted over its interval; an instant fault (a kill:
its injection takes milliseconds) has none, so its counts are n/a rather than a 0 that could
not have been anything else."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from bench.analyse.cell import CellData
from bench.analyse.fault import during, resumed, while_it_lasted
from bench.raw import POSTS_PREFIX, write_rows
from bench.report.faults import seen
from bench.summary import FaultFigures


def cell(tmp_path: Path, finished: list[float]) -> CellData:
    rows = [{"status": "done", "error": "", "finished": str(t)} for t in finished]
    posts = [("1.0", "202", "5.0"), ("2.0", "503", "2.0"), ("3.0", "503", "1.0")]
    write_rows(tmp_path / f"{POSTS_PREFIX}.0.csv", ["t", "status", "latency_ms"], posts)
    return CellData(cast(Any, None), tmp_path, cast(Any, rows), [], [])


def test_an_interval_counts_what_happened_in_it(tmp_path: Path) -> None:
    figures = during(cell(tmp_path, [0.5, 1.5, 2.5, 9.0]), 1.5, 3.0)
    assert figures["refused_during"] == 2 and figures["first_refusal_s"] == 0.5
    assert figures["flowing_during"] == 2 and figures["post_max_during_ms"] == 2.0


def test_a_lasting_fault_counts_and_an_instant_one_does_not(tmp_path: Path) -> None:
    data = cell(tmp_path, [2.0])
    assert while_it_lasted(data, "broker-alarm", 1.5, 3.0)["refused_during"] == 2
    for instant in (while_it_lasted(data, "worker-kill", 1.99, 2.01),
                    while_it_lasted(data, "broker-alarm", 2.0, 2.0)):  # fmt: skip
        assert instant["refused_during"] is None and instant["flowing_during"] is None


def test_a_fault_the_clients_must_notice_counts_until_they_came_back(tmp_path: Path) -> None:
    # silent-connection injects in an instant, but lasts until the clients notice
    assert (
        while_it_lasted(cell(tmp_path, [2.0]), "silent-connection", 1.5, 3.0)["refused_during"] == 2
    )


def test_resumed_is_the_first_job_accepted_after_the_strike_done(tmp_path: Path) -> None:
    jobs = [
        {"status": "done", "enqueued": "0.5", "finished": "1.2"},  # accepted before
        {"status": "failed", "enqueued": "1.1", "finished": "1.3"},  # not done
        {"status": "done", "enqueued": "1.4", "finished": "4.0"},
        {"status": "done", "enqueued": "2.0", "finished": "3.5"},  # the first one done
    ]
    for job in jobs:
        job["error"] = ""
    data = CellData(cast(Any, None), tmp_path, cast(Any, jobs), [], [])
    assert resumed(data, 1.0) == 2.5
    assert resumed(data, 5.0) is None  # none accepted after it: not measured, never 0


def test_what_the_strike_saw_is_shown_and_a_missed_bound_says_so() -> None:
    figures = FaultFigures(
        fault="silent-connection", notes=[], at_s=5.0, rejected_at_api=0, recovery_s=None,
        dead_lettered=0, left_in_queue=0, consuming_after=True,
        timings={"workers: first reconnect": 11.0, "api: first reconnect": None},
        timing_bounds={"workers: first reconnect": 30.0, "api: first reconnect": 30.0},
    )  # fmt: skip
    result = cast(Any, SimpleNamespace(fault=figures, variant="taskiq"))
    assert seen(result) == [
        "silent-connection",
        "taskiq",
        "workers: first reconnect 11.0; api: first reconnect: NOT within 30.0 s",
    ]

"""What a fault did while it lasted is counted over its interval; an instant fault (a kill:
its injection takes milliseconds) has none, so its counts are n/a rather than a 0 that could
not have been anything else."""

from pathlib import Path
from typing import Any, cast

from bench.analyse.cell import CellData
from bench.analyse.fault import during, while_it_lasted
from bench.raw import POSTS_PREFIX, write_rows


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

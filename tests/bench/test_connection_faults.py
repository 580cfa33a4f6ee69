"""The harness's connection faults, in a real run (real RabbitMQ, API and workers, the
fault proxy between them): silent-connection and reconnect-with-prefetch strike in their
cells, each group of clients connects again within the fault's bound, work resumes within
RESUME_BOUND_S, and nothing accepted is lost or left in the queue.

This tests the harness's injection and measurement, which are the same for every variant,
in one variant: Celery prefork, the slowest to come back. Every variant's own recovery from
both faults is tests/e2e/test_silent_connection.py and test_reconnect_with_prefetch.py
(the README's worker commands), and `python -m bench run standard --faults ...` measures it."""

import os
import subprocess
import sys

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.spec.faults import BY_NAME
from bench.summary import Summary
from tests.helpers.processes import ROOT

pytestmark = pytest.mark.timeout(900)  # two fault cells of 15-45 s, and their drains
FAULTS = ("silent-connection", "reconnect-with-prefetch")
VARIANTS = ("celery",)
RESUME_BOUND_S = 60.0  # issue 26: work resumes within a minute of the fault


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine) -> Summary:
    """`engine`: the test database is migrated first."""
    results = tmp_path_factory.mktemp("results")
    cmd = [sys.executable, "-m", "bench", "run", "tiny", "--results", str(results),
           "--models", "none", "--faults", ",".join(FAULTS), "--variants", ",".join(VARIANTS),
           "--api-port", "18002", "--stub-port", "18093", "--proxy-port", "15440"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(done.stdout[-4000:])
    [run] = list(results.iterdir())
    return Summary.load(run)


def test_each_fault_has_a_cell_and_it_struck(summary: Summary) -> None:
    cells = {(c.fault.fault, c.variant): c for c in summary.cells if c.fault is not None}
    assert set(cells) == {(f, v) for f in FAULTS for v in VARIANTS}
    for cell in cells.values():
        assert cell.valid, (cell.cell_id, cell.flags)


@pytest.mark.parametrize("fault", FAULTS)
def test_clients_come_back_and_nothing_is_lost(summary: Summary, fault: str) -> None:
    bound = BY_NAME[fault].notice_bound_s
    for cell in summary.cells:
        f = cell.fault
        if f is None or f.fault != fault:
            continue
        where = f"{fault} {cell.variant}: {f.notes} {f.timings}"
        groups = ("workers", "api") if fault == "silent-connection" else ("workers",)
        assert set(f.timings) == {f"{g}: first reconnect" for g in groups}, where
        for seconds in f.timings.values():
            assert seconds is not None and 0 < seconds <= bound, where
        assert f.resumed_s is not None and f.resumed_s <= RESUME_BOUND_S, where
        assert cell.lost == 0 and f.left_in_queue == 0 and f.consuming_after, where
        assert cell.accepted > 0 and cell.done == cell.accepted, where

"""A real benchmark run from a test: `python -m bench run ...` on the suite's database and
queues, the way a user starts one; and what its saved cells say."""

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.processes import ROOT

PORTS = ["--api-port", "18000", "--stub-port", "18091"]  # clear of the suite's own services


def bench_run(results: Path, *args: str, timeout: float = 540) -> Path:
    """The run's directory; the run must succeed."""
    cmd = [sys.executable, "-m", "bench", "run", *args, *PORTS, "--results", str(results)]
    done = subprocess.run(cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [run] = list(results.iterdir())
    return run


def most_at_once(jobs: list[dict[str, str]]) -> int:
    """The most jobs running at one moment (their started..finished overlaps)."""
    edges = sorted(e for j in jobs if j["started"] and j["finished"]
                   for e in ((float(j["started"]), 1), (float(j["finished"]), -1)))  # fmt: skip
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most

"""Bad input to `python -m bench run` gets one line naming the fix, exit 2, and starts
nothing; `--external` refuses what it cannot measure before it runs a cell."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from tests.helpers import processes
from tests.helpers.processes import ROOT
from tests.helpers.workers import worker

API_PORT = 18031


def bench(*args: str, results: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bench", "run", *args, "--results", str(results)]
    return subprocess.run(
        cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120
    )


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nosuch"], ["unknown profile 'nosuch'", "quick", "BENCH_PROFILE"]),
        (["tiny", "--variants", "celery,nope"], ["unknown variant: nope", "celery-threads"]),
        (["tiny", "--faults", "meteor"], ["unknown fault: meteor", "worker-kill"]),
        (["tiny", "--users", "four"], ["--users must be numbers"]),
        (["tiny", "--models", "latency"], ["drain rates", "add drain to --models"]),
        (["tiny", "--shares", "0"], ["--shares must be fractions of the drain rate"]),
        (["tiny", "--external"], ["--external needs --api-url"]),
        (["tiny", "--reps", "0"], ["Invalid value for '--reps'"]),  # typer's own checks too
        (["tiny", "--no-such-option"], ["No such option: --no-such-option"]),
        (["tiny", "--space", "taskiq@1x4 q4"], ["for the tune and scale profiles, not tiny"]),
        (["tune", "--space", "taskiq@1x4"], ["--space", "variant@PROCESSESxSLOTS qPREFETCH"]),
        (["tune", "--space", "rq@1x4 q4"], ["--space: unknown variant(s) rq"]),
        (["tune", "--space", "taskiq@0x4 q4"], ["must be at least 1"]),
        (["tune", "--space", "celery@2x4 q1"], ["prefork runs one task per child"]),
        (["tune", "--space", "celery-threads@1x32 q4"], ["a multiple of its slots"]),
        (["tune", "--external", "--api-url", "http://127.0.0.1:9"], ["sets each cell's sizes"]),
        (["scale", "--api-workers", "0"], ["--api-workers must be at least 1"]),
        (["tune", "--space", "taskiq@1x4 q4", "--variants", "celery"], ["ones of the --space"]),
    ],
)
def test_bad_input_is_one_line_and_starts_nothing(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    one_line_error(bench(*args, results=tmp_path), *words)
    assert list(tmp_path.iterdir()) == []  # no run directory: nothing started


def test_a_port_in_use_is_refused(tmp_path: Path, engine: AsyncEngine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = bench("tiny", "--api-port", str(port), results=tmp_path)
    one_line_error(done, f"port {port} is in use", "--api-port")
    assert list(tmp_path.iterdir()) == []


def test_external_without_an_api_is_refused(tmp_path: Path, engine: AsyncEngine) -> None:
    done = bench("tiny", "--external", "--api-url", "http://127.0.0.1:1", results=tmp_path)
    one_line_error(done, "the API at http://127.0.0.1:1 is not healthy", "start the deployment")


@pytest.fixture
def api(settings: Settings, engine: AsyncEngine, stub: str) -> Iterator[str]:
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(API_PORT)]
    with processes.running([*cmd, "--log-level", "warning"], ROOT) as proc:
        url = f"http://127.0.0.1:{API_PORT}"
        processes.wait_http_ok(f"{url}/health", proc)
        yield url


@pytest.mark.usefixtures("empty_queues")
async def test_external_with_one_backend_has_nothing_to_compare(
    tmp_path: Path, settings: Settings, api: str
) -> None:
    async with worker(settings, "taskiq"):
        done = bench("tiny", "--external", "--api-url", api, results=tmp_path)
        one_line_error(done, "nothing to compare: only taskiq workers are up")
        # A fault that kills the deployment's processes, asked for by name.
        only = ("--models", "none", "--faults", "worker-kill")
        asked = bench("tiny", "--external", "--api-url", api, *only, results=tmp_path)
        one_line_error(asked, "cannot inject worker-kill", "broker-drop, db-drop, poison")
    none_up = bench("tiny", "--external", "--api-url", api, results=tmp_path)
    one_line_error(none_up, "no worker consumes test.celery and test.taskiq")

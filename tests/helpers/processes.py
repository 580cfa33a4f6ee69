"""Start and stop real processes (stub, workers) for tests, and await conditions."""

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

import httpx

from bench.run.processes.supervisor import stop_group
from bench.run.wait import TimedOut, until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextmanager
def running(
    cmd: list[str], cwd: str, env: dict[str, str] | None = None, log: IO[bytes] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `cmd` in its own process group; SIGTERM the group on exit, then SIGKILL.
    Output goes to `log` if given (for the test to read), else to the test's output."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )
    try:
        yield proc
    finally:
        stop_group(proc)


def logged(log: IO[bytes]) -> bytes:
    """Everything a child wrote to `log` so far. pread, not seek+read: the child shares
    the file offset, so a seek(0) would make its next write overwrite the start."""
    out = b""
    while chunk := os.pread(log.fileno(), 1 << 16, len(out)):
        out += chunk
    return out


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll `condition` until true (the harness's own wait); fail with `what` on timeout
    or if `proc` died."""

    def alive() -> None:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} while waiting for {what}")

    try:
        until(condition, timeout, what, 0.1, alive)
    except TimedOut as exc:
        raise AssertionError(f"timed out: {exc}") from exc


def wait_http_ok(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> None:
    def ok() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ok, timeout, f"{url} to answer 200", proc)

"""Start and stop the processes of a run; nothing outlives the harness.

Each process gets its own session (process group), its output goes to a log file,
and `stop_all` runs on normal exit, on error and on Ctrl-C (SIGINT/SIGTERM).
"""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

import httpx

from bench.run.wait import until


def component(name: str) -> str:
    """Processes named "workers.0", "workers.1" belong to the component "workers"."""
    return name.partition(".")[0]


class Processes:
    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(
        self, name: str, cmd: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        if name in self.running:
            raise RuntimeError(f"{name} is already running")
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 30) -> bool:
        """Stop one process; whether it had to be killed."""
        proc = self.running.pop(name, None)
        return proc is not None and stop_group(proc, timeout)

    def terminate(self, of: str | None = None) -> list[str]:
        """SIGTERM every process (of one component) at once, without waiting; their names."""
        names = [n for n in self.running if of is None or component(n) == of]
        for name in names:
            proc = self.running[name]
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        return names

    def stop_all(self, of: str | None = None, timeout: float = 30) -> list[str]:
        """Stop every process (of one component); SIGTERM reaches them all at once. The
        names of those that had to be killed."""
        return [name for name in self.terminate(of) if self.stop(name, timeout)]

    def of(self, part: str) -> list[str]:
        """Names of the running processes of a component, in start order."""
        return [n for n in self.running if component(n) == part]

    def check_alive(self, name: str) -> None:
        for one in self.of(name) if name not in self.running else [name]:
            proc = self.running[one]
            if proc.poll() is not None:
                log = (self.log_dir / f"{one}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{one} exited with {proc.returncode}; last output:\n{log}")


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 30) -> bool:
    """SIGTERM the main process only, as `docker stop` does (Celery's children must not
    get it: its parent runs the warm shutdown); SIGKILL the group after `timeout`, and
    whatever of the group survived its parent. Whether the main process was killed."""
    killed = False
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            proc.wait(10)
        except ProcessLookupError:
            pass
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return killed


@contextmanager
def managed(log_dir: Path, env: dict[str, str]) -> Iterator[Processes]:
    """Processes that are stopped however the block ends, Ctrl-C included."""
    procs = Processes(log_dir, env)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield procs
    finally:
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)


def wait_http(url: str, procs: Processes, name: str, limit_s: float = 60) -> None:
    """Wait for `url` to answer 200 while process `name` stays alive."""

    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    until(answers, limit_s, f"{name} answering 200 on {url}", 0.2, lambda: procs.check_alive(name))

"""docker compose projects for the engine tests: a project of their own (its own name,
credentials, host ports and results directory), so they never meet a user's deployment,
and `down -v` removes it whatever the tests did."""

import contextlib
import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent
CREDENTIALS = {
    "POSTGRES_PASSWORD": "pg-test-only",
    "RABBITMQ_USER": "qb-test-only",
    "RABBITMQ_PASSWORD": "rmq-test-only",
    "FLOWER_BASIC_AUTH": "admin:flower-test-only",
}
FLOWER_AUTH = ("admin", "flower-test-only")


def engine_problem() -> str | None:
    """Why the engine tests cannot run here, or None."""
    if shutil.which("docker") is None:
        return "no docker client installed"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        return "no Docker engine is running (docker info failed)"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        return "the docker compose plugin is not installed"
    wrong = subprocess.run(["docker", "compose", "no-such-command"], capture_output=True)
    if wrong.returncode == 0:
        return "this `docker compose` exits 0 on failure, so no test of it could fail"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_range(n: int) -> int:
    """The first of `n` consecutive free ports, below Linux's ephemeral range (32768 up),
    where the suite's own client connections would otherwise take one between the check
    and docker's bind (it did: "bind: address already in use" on the range's second port)."""
    for _ in range(200):
        start = random.randrange(20000, 32000 - n)
        try:
            with contextlib.ExitStack() as held:
                for port in range(start, start + n):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return start
        except OSError:
            continue
    raise RuntimeError(f"no {n} consecutive free ports in 20000-32000")


@dataclass
class Project:
    name: str
    env_file: Path
    results: Path
    ports: dict[str, int]
    files: tuple[str, ...] = ("docker-compose.yml",)

    def cmd(self, *args: str) -> list[str]:
        files = [arg for f in self.files for arg in ("-f", str(ROOT / f))]
        return [
            *("docker", "compose", "--project-directory", str(ROOT), *files),
            *("--env-file", str(self.env_file), "-p", self.name, *args),
        ]

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        done = subprocess.run(
            self.cmd(*args),
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"`docker compose {' '.join(args)}` failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout + done.stderr

    def up(self, profiles: Sequence[str], *extra: str) -> float:
        """`up -d --wait` with these profiles; the seconds it took."""
        started = time.monotonic()
        flags = [arg for p in profiles for arg in ("--profile", p)]
        self.run(*flags, "up", "-d", "--wait", *extra)
        return time.monotonic() - started

    def with_settings(self, **settings: str) -> "Project":
        """The same project read through an env file with these settings changed."""
        env_file = self.env_file.with_name(f"compose.{uuid.uuid4().hex[:6]}.env")
        lines = [
            ln for ln in self.env_file.read_text().splitlines() if ln.split("=")[0] not in settings
        ]
        env_file.write_text(
            "".join(f"{ln}\n" for ln in [*lines, *(f"{k}={v}" for k, v in settings.items())])
        )
        return Project(self.name, env_file, self.results, self.ports, self.files)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['API_PORT']}"

    def management(self) -> httpx.Client:
        auth = (CREDENTIALS["RABBITMQ_USER"], CREDENTIALS["RABBITMQ_PASSWORD"])
        base = f"http://127.0.0.1:{self.ports['RABBITMQ_UI_PORT']}"
        return httpx.Client(base_url=base, auth=auth, timeout=30)

    def consumers(self, queue: str) -> int:
        with self.management() as api:
            r = api.get(f"/api/queues/%2F/{queue}")
        return int(r.json().get("consumers", 0)) if r.status_code == 200 else 0

    def containers(self) -> list[str]:
        """Names of the project's containers, running or not."""
        label = f"label=com.docker.compose.project={self.name}"
        out = subprocess.run(
            ["docker", "ps", "-a", "--filter", label, "--format", "{{.Names}}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return sorted(out.stdout.split())


@contextmanager
def project(
    tmp: Path, files: tuple[str, ...] = ("docker-compose.yml",), **settings: str
) -> Iterator[Project]:
    """A compose project with test credentials and free host ports; `down -v` at the end."""
    ports = {key: free_port() for key in ("API_PORT", "FLOWER_PORT", "RABBITMQ_UI_PORT")}
    metrics = free_range(4)
    results = tmp / "results"
    results.mkdir()
    env = {
        **CREDENTIALS,
        **{k: str(v) for k, v in ports.items()},
        "TASKIQ_METRICS_PORTS": f"{metrics}-{metrics + 3}",
        "RESULTS_DIR": str(results),
        **settings,
    }
    env_file = tmp / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    found = Project(f"qbtest-{uuid.uuid4().hex[:8]}", env_file, results, ports, files)
    found.ports["TASKIQ_METRICS"] = metrics
    try:
        yield found
    finally:
        found.run("--profile", "*", "down", "-v", "--remove-orphans", "-t", "5", check=False)


# Variables the compose file interpolates: only the project's env file may set them.
INTERPOLATED = {
    *CREDENTIALS,
    "RABBITMQ_COOKIE",
    "AMQP_FAILOVER_URLS",
    "API_BIND",
    "WORKER_PROCESSES",
    "WORKER_SLOTS",
    "BENCH_PROFILE",
}


def clean_env() -> dict[str, str]:
    """This process's environment without what would leak into compose's interpolation."""
    return {k: v for k, v in os.environ.items() if k not in INTERPOLATED}

"""The command lines of every process the harness starts: the libraries' own CLIs,
the same as the Makefile's targets (tests check that)."""

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable
TASKIQ_MODULES = (
    "workers_taskiq.broker:broker",
    "workers_taskiq.tasks",
    "workers_taskiq.probe_tasks",
)


@dataclass(frozen=True)
class CeleryProfile:
    app: str  # the Celery app: the recommended bridge, or one we only measure
    pool: str  # prefork: one task per child process; threads: one process, many threads


# Worker variants: Celery's recommended bridge on each pool, the bridges we only measure,
# and Taskiq.
CELERY = {
    "celery": CeleryProfile("workers_celery", "prefork"),
    "celery-threads": CeleryProfile("workers_celery", "threads"),
    "celery-runner": CeleryProfile("workers_celery.variants.runner", "prefork"),
    "celery-loop_per_thread": CeleryProfile("workers_celery.variants.loop_per_thread", "threads"),
    "celery-naive": CeleryProfile("workers_celery.variants.naive", "prefork"),
    "celery-asyncio_run": CeleryProfile("workers_celery.variants.asyncio_run", "prefork"),
}
CELERY_APPS = {name: p.app for name, p in CELERY.items() if p.pool == "prefork"}
# Benchmark Celery workers skip the start-up handshake with other workers (mingle) and
# the gossip of their events: a second or so per start, nothing per task.
LEAN_CELERY = ("--without-mingle", "--without-gossip")


def stub(port: int) -> list[str]:
    return [PY, "-m", "uvicorn", "stub.app:app", "--port", str(port), "--log-level", "warning"]


def api(port: int, app: str = "api.main:app") -> list[str]:
    return [
        *(PY, "-m", "uvicorn", app, "--port", str(port)),
        *("--log-level", "warning", "--no-access-log"),
    ]


def celery_worker(
    processes: int,
    pool: str | None = None,
    events: bool = True,
    app: str = "workers_celery",
    loglevel: str = "INFO",
) -> list[str]:
    cmd = [PY, "-m", "celery", "-A", app, "worker", f"--loglevel={loglevel}"]
    cmd += [f"--concurrency={processes}"] + (["-E"] if events else [])
    return cmd + ([f"--pool={pool}"] if pool else [])


def taskiq_worker(processes: int, slots: int, loglevel: str = "INFO") -> list[str]:
    return [
        *(PY, "-m", "taskiq", "worker", *TASKIQ_MODULES),
        *("--workers", str(processes), "--max-async-tasks", str(slots)),
        *("--ack-type", "when_executed", "--log-level", loglevel),
    ]


def workers(variant: str, processes: int, slots: int, multiplier: int) -> list[list[str]]:
    """The processes of one benchmark worker profile: task events off, both libraries
    logging at WARNING, `processes` worker processes either way. A Celery threads
    profile is `processes` workers of `slots` threads each; `multiplier` makes its
    prefetch per process equal to Taskiq's."""
    if variant == "taskiq":
        return [taskiq_worker(processes, slots, loglevel="WARNING")]
    profile = CELERY[variant]
    if profile.pool == "prefork":
        cmd = celery_worker(processes, "prefork", events=False, app=profile.app, loglevel="WARNING")
        return [cmd + list(LEAN_CELERY)]
    threads = celery_worker(slots, "threads", events=False, app=profile.app, loglevel="WARNING")
    threads += [*LEAN_CELERY, f"--prefetch-multiplier={multiplier}"]
    return [[*threads, f"--hostname=threads{n}@%h"] for n in range(processes)]


def jobcost(
    scenario: str, concurrency: Sequence[float], seconds: float, run_id: str, out: Path
) -> list[str]:
    levels = [arg for c in concurrency for arg in ("--concurrency", str(int(c)))]
    return [
        *(PY, "-m", "bench.jobcost", scenario, *levels),
        *("--seconds", str(seconds), "--run-id", run_id, "--out", str(out)),
    ]


def locust(
    users: int, run_time_s: float, host: str, out_prefix: str, user_class: str, workers: int = 0
) -> list[str]:
    """Headless Locust; with `workers` > 0 it is the master of a distributed run."""
    cmd = [
        *(PY, "-m", "locust", "-f", "bench/locustfile.py", user_class, "--headless"),
        *("-u", str(users), "-r", str(users), "-t", f"{max(1, round(run_time_s))}s"),
        *("--host", host, "--csv", out_prefix, "--html", f"{out_prefix}.html"),
        *("--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"),
    ]
    return cmd + (["--master", "--expect-workers", str(workers)] if workers else [])


def locust_worker(user_class: str, master_host: str = "127.0.0.1") -> list[str]:
    return [
        *(PY, "-m", "locust", "-f", "bench/locustfile.py", user_class),
        *("--worker", "--master-host", master_host, "--loglevel", "WARNING"),
    ]

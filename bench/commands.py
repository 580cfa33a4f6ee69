"""The command lines of every process the harness starts: the libraries' own CLIs,
the same as the Makefile's targets (tests check that)."""

import sys

PY = sys.executable
# Celery app per variant: the recommended bridge, or one we only measure.
CELERY_APPS = {
    "celery": "workers_celery",
    "celery-naive": "workers_celery.variants.naive",
    "celery-asyncio_run": "workers_celery.variants.asyncio_run",
}


def stub(port: int) -> list[str]:
    return [PY, "-m", "uvicorn", "stub.app:app", "--port", str(port), "--log-level", "warning"]


def api(port: int) -> list[str]:
    return [
        *(PY, "-m", "uvicorn", "api.main:app", "--port", str(port)),
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
        *(PY, "-m", "taskiq", "worker", "workers_taskiq.broker:broker", "workers_taskiq.tasks"),
        *("--workers", str(processes), "--max-async-tasks", str(slots)),
        *("--ack-type", "when_executed", "--log-level", loglevel),
    ]


def worker(variant: str, processes: int, slots: int) -> list[str]:
    """A benchmark worker: task events off, both libraries logging at WARNING."""
    if variant == "taskiq":
        return taskiq_worker(processes, slots, loglevel="WARNING")
    return celery_worker(processes, events=False, app=CELERY_APPS[variant], loglevel="WARNING")


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

"""The command lines of every process the harness starts: the libraries' own CLIs,
the same as the Makefile's targets (tests check that)."""

import sys

PY = sys.executable


def stub(port: int) -> list[str]:
    return [PY, "-m", "uvicorn", "stub.app:app", "--port", str(port), "--log-level", "warning"]


def api(port: int) -> list[str]:
    return [
        *(PY, "-m", "uvicorn", "api.main:app", "--port", str(port)),
        *("--log-level", "warning", "--no-access-log"),
    ]


def celery_worker(processes: int, pool: str | None = None, events: bool = True) -> list[str]:
    cmd = [PY, "-m", "celery", "-A", "workers_celery", "worker", "--loglevel=INFO"]
    cmd += [f"--concurrency={processes}"] + (["-E"] if events else [])
    return cmd + ([f"--pool={pool}"] if pool else [])


def taskiq_worker(processes: int, slots: int) -> list[str]:
    return [
        *(PY, "-m", "taskiq", "worker", "workers_taskiq.broker:broker", "workers_taskiq.tasks"),
        *("--workers", str(processes), "--max-async-tasks", str(slots)),
        *("--ack-type", "when_executed"),
    ]


def worker(backend: str, processes: int, slots: int, events: bool = True) -> list[str]:
    if backend == "celery":
        return celery_worker(processes, events=events)
    return taskiq_worker(processes, slots)


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

"""The command lines of every process the harness starts. Workers start through the entry
points users deploy with (`python -m workers_celery`, `python -m workers_taskiq`: the
Makefile and compose run the same), with the benchmark's changes, and only these
(tests/bench/test_commands.py):
- the sizes are the cell's (given explicitly; WORKER_PREFETCH and CELERY_TASK_EVENTS=false
  come from the workers' environment, bench/run/session.py);
- both libraries log at WARNING;
- Celery sends no events at all: no task events (the environment) and no worker
  heartbeats (each is a publish, and RabbitMQ blocks a connection that publishes during an
  alarm, which stops a worker waiting on its heartbeat), and skips the start-up handshake
  and gossip with other workers (mingle, gossip: a second per start, nothing per task);
- the benchmark's tasks run (the four jobs and the two probes from its registry, with the
  fault hooks: bench_service/celery_worker.py, bench_service/taskiq_worker.py; Celery's also
  ticks its event loop every second, as the heartbeat did, or an idle threads worker takes
  10 s to stop);
- Celery's node names are the benchmark's own (`bench...@host`): a node name owns its
  remote-control queue on the broker, so a test or a deployment's worker on the same
  RabbitMQ must not share it."""

import sys
from collections.abc import Sequence
from pathlib import Path

from bench.spec.variants import BY_NAME, TASKIQ_BROKER, TASKIQ_TASKS, Variant
from core.contract import Backend

PY = sys.executable
LEAN_CELERY = ("--without-mingle", "--without-gossip", "--without-heartbeat")


def stub(port: int) -> list[str]:
    return [PY, "-m", "uvicorn", "stub.app:app", "--port", str(port), "--log-level", "warning"]


def api(port: int, app: str, workers: int = 1) -> list[str]:
    return [
        *(PY, "-m", "uvicorn", app, "--port", str(port)),
        *("--log-level", "warning", "--no-access-log"),
        *(("--workers", str(workers)) if workers > 1 else ()),
    ]


def worker(variant: Variant, processes: int, slots: int, multiplier: int = 1) -> list[str]:
    """One benchmark worker process's command: the deployed entry point, changed as above."""
    if variant.backend is Backend.taskiq and variant.app != TASKIQ_BROKER:  # measured only
        return [
            *(PY, "-m", "taskiq", "worker", variant.app, "--ack-type", "when_executed"),
            *("--workers", str(processes), "--max-async-tasks", str(slots)),
            *("--log-level", "WARNING"),
        ]
    if variant.backend is Backend.taskiq:
        return [
            *(PY, "-m", "workers_taskiq", "--tasks", TASKIQ_TASKS),
            *("--workers", str(processes), "--max-async-tasks", str(slots)),
            *("--log-level", "WARNING"),
        ]
    cmd = [PY, "-m", "workers_celery", "--app", variant.app, "--loglevel=WARNING"]
    if variant.one_process:
        pool = f"--pool={variant.pool}"
        cmd += [pool, f"--concurrency={slots}", f"--prefetch-multiplier={multiplier}"]
    else:
        cmd += ["--pool=prefork", f"--concurrency={processes}", "--hostname=bench@%h"]
    return [*cmd, *LEAN_CELERY]


def workers(name: str, processes: int, slots: int, multiplier: int) -> list[list[str]]:
    """The processes of one benchmark worker profile: `processes` worker processes either
    way; a Celery threads (gevent) profile is `processes` workers of `slots` threads
    (greenlets) each."""
    variant = BY_NAME[name]
    if not variant.one_process:
        return [worker(variant, processes, slots)]
    one = worker(variant, processes, slots, multiplier)
    return [[*one, f"--hostname=bench-{variant.pool}{n}@%h"] for n in range(processes)]


def jobcost(
    scenario: str, concurrency: Sequence[float], seconds: float, run_id: str, out: Path
) -> list[str]:
    levels = [arg for c in concurrency for arg in ("--concurrency", str(int(c)))]
    return [
        *(PY, "-m", "bench.run.loads.jobcost", scenario, *levels),
        *("--seconds", str(seconds), "--run-id", run_id, "--out", str(out)),
    ]


LOCUSTFILE = "bench/run/loads/locustfile.py"


def locust(
    users: int, run_time_s: float, host: str, out_prefix: str, user_class: str, workers: int = 0
) -> list[str]:
    """Headless Locust; with `workers` > 0 it is the master of a distributed run."""
    cmd = [
        *(PY, "-m", "locust", "-f", LOCUSTFILE, user_class, "--headless"),
        *("-u", str(users), "-r", str(users), "-t", f"{max(1, round(run_time_s))}s"),
        *("--host", host, "--csv", out_prefix, "--html", f"{out_prefix}.html"),
        *("--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"),
    ]
    return cmd + (["--master", "--expect-workers", str(workers)] if workers else [])


def locust_worker(user_class: str, master_host: str = "127.0.0.1") -> list[str]:
    return [
        *(PY, "-m", "locust", "-f", LOCUSTFILE, user_class),
        *("--worker", "--master-host", master_host, "--loglevel", "WARNING"),
    ]

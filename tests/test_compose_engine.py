"""docker compose on a real Docker engine, as a user runs it: each worker profile comes up
(`up --wait`) and runs the four jobs through the published API; scaled workers all consume;
Flower asks for its credentials; the benchmark in compose, local and external, writes a
report that compares Taskiq with Celery; Ctrl-C leaves nothing behind; `down -v` at the end.
The tests share one deployment, as a user's would be (its Postgres and RabbitMQ start once:
they are most of an `up`); each test removes the workers it started.
Skipped, with the reason, where no engine runs (`.ci/run` starts one)."""

import contextlib
import json
import os
import pty
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import compose
from tests.helpers.compose import FLOWER_AUTH, Project

problem = compose.engine_problem()
pytestmark = pytest.mark.skipif(problem is not None, reason=f"compose engine tests: {problem}")
JOBS = ("price_order", "sales_report", "fetch_rates", "render_invoice")
QUEUES = {"celery": "jobs.celery", "taskiq": "jobs.taskiq"}
# Started by a test and removed after it (Flower too: it remembers the workers it saw).
PER_TEST = (
    "worker-celery", "worker-celery-threads", "worker-taskiq", "flower",
    "scheduler-celery", "scheduler-taskiq",
)  # fmt: skip
TIMINGS: dict[str, float] = {}  # up --wait seconds per profile, printed at the end


@pytest.fixture(scope="module", autouse=True)
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every image built once (a warm build cache makes this quick)."""
    with compose.project(tmp_path_factory.mktemp("build")) as p:
        p.run("--profile", "*", "build", "-q", timeout=1800)
    yield
    for name, seconds in TIMINGS.items():
        print(f"compose up --wait, {name}: {seconds:.1f} s")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, images: None) -> Iterator[Project]:
    with compose.project(tmp_path_factory.mktemp("deployment"), WORKER_SLOTS="8") as p:
        yield p


@pytest.fixture
def project(deployment: Project) -> Iterator[Project]:
    """The shared deployment; the workers and Flower a test started are removed after it."""
    yield deployment
    deployment.run("--profile", "*", "rm", "-s", "-f", *PER_TEST, check=False)


def wait_consumers(p: Project, queue: str, at_least: int, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while p.consumers(queue) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} consumers on {queue}"
        time.sleep(0.5)


def run_jobs(p: Project, backend: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST the jobs to the published API, wait for each (long-poll); their rows."""
    with httpx.Client(base_url=p.api, timeout=90) as client:
        body = {"jobs": [{"backend": backend, **job} for job in jobs]}
        accepted = client.post("/jobs/batch", json=body)
        assert accepted.status_code == 202, accepted.text
        rows = []
        for job_id in accepted.json()["ids"]:
            deadline = time.monotonic() + 120
            while (row := client.get(f"/jobs/{job_id}", params={"wait": 30}).json())[
                "status"
            ] not in ("done", "failed"):
                assert time.monotonic() < deadline, row
            rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("profile", "service"),
    [("celery", "worker-celery"), ("celery-threads", "worker-celery-threads"),
     ("taskiq", "worker-taskiq")],
)  # fmt: skip
def test_profile_runs_the_four_jobs_in_every_replica(
    project: Project, profile: str, service: str
) -> None:
    TIMINGS[profile] = project.up([profile])
    backend = "taskiq" if profile == "taskiq" else "celery"
    wait_consumers(project, QUEUES[backend], 1)
    rows = run_jobs(project, backend, [{"task": t} for t in JOBS])
    assert [(r["task"], r["status"], r["error"]) for r in rows] == [(t, "done", None) for t in JOBS]
    if backend == "taskiq":  # Prometheus metrics of the worker, on loopback
        port = project.ports["TASKIQ_METRICS"]
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for task in JOBS:
            assert f'success_tasks_total{{task_name="{task}"}} 1.0' in metrics, metrics[-2000:]
    else:
        flower_lists_the_worker_behind_auth(project)
    # Scaled to two: both replicas consume.
    project.up([profile], "--scale", f"{service}=2")
    per_replica = {"celery": 1, "celery-threads": 1, "taskiq": 2}[profile]  # consumers each
    wait_consumers(project, QUEUES[backend], 2 * per_replica)
    rows = run_jobs(
        project, backend, [{"task": "fetch_rates", "payload": {"latency_ms": 300}}] * 24
    )
    assert {r["status"] for r in rows} == {"done"}
    logs = project.run("logs", "--no-color", service)
    for replica in (1, 2):
        mine = "\n".join(line for line in logs.splitlines() if f"{service}-{replica}" in line)
        assert any(str(r["id"]) in mine for r in rows), f"{service}-{replica} ran none of the 24"


def flower_lists_the_worker_behind_auth(project: Project) -> None:
    flower = f"http://127.0.0.1:{project.ports['FLOWER_PORT']}"
    assert httpx.get(f"{flower}/api/workers", timeout=10).status_code == 401
    # refresh=1: Flower asks the workers now (it answers from a cache otherwise).
    workers = httpx.get(f"{flower}/api/workers?refresh=1", auth=FLOWER_AUTH, timeout=30)
    assert workers.status_code == 200 and len(workers.json()) == 1, workers.text
    deadline = time.monotonic() + 60  # task events reach Flower's metrics asynchronously
    while 'flower_events_total{task="price_order",type="task-succeeded"' not in (
        metrics := httpx.get(f"{flower}/metrics", timeout=10).text
    ):
        assert time.monotonic() < deadline, metrics[-2000:]
        time.sleep(1)


def test_external_bench_compares_the_deployed_profiles(project: Project) -> None:
    """The harness against this deployment: closed-model cells for both backends' workers."""
    project.up(["celery", "taskiq"])
    wait_consumers(project, QUEUES["celery"], 1)
    wait_consumers(project, QUEUES["taskiq"], 2)
    before = runs(project.results)
    out = project.run(
        "run", "--rm", "-e", "BENCH_PROFILE=tiny", "bench", "external", "--faults", "none"
    )
    assert "--external: variants celery, taskiq" in out, out[-3000:]
    summary = summary_of(new_run(project.results, before))
    modes = {(c["scenario"], c["model"], c["mode"]) for c in summary["comparisons"]}
    assert ("price_order", "closed", "processes") in modes, out[-3000:]


def runs(results: Path) -> set[Path]:
    return {d for d in results.iterdir() if d.is_dir()}


def new_run(results: Path, before: set[Path]) -> Path:
    """The one run directory written since `before` (the results directory is shared)."""
    [run] = runs(results) - before
    assert (run / "report.html").exists()
    return run


def summary_of(run: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((run / "summary.json").read_text())
    return summary


def test_compose_bench_compares_taskiq_with_celery(project: Project) -> None:
    before = runs(project.results)
    out = project.run("run", "--rm", "-e", "BENCH_PROFILE=tiny", "bench", timeout=900)
    run = new_run(project.results, before)
    comparisons = summary_of(run)["comparisons"]
    ratios = [c["throughput_ratio"]["point"] for c in comparisons if c["scenario"] == "price_order"]
    assert ratios and all(r is not None and r > 0 for r in ratios), out[-3000:]
    report = (run / "report.md").read_text()
    # Postgres and RabbitMQ run in containers of their own: their CPU is not measured here.
    assert "not measured here" in report
    assert re.search(r"\| rabbitmq \| 4\.", report)  # the broker's version, by its API
    owner = project.results.stat().st_uid
    assert {p.stat().st_uid for p in run.rglob("*")} == {owner}  # the report is the user's


def bench_processes(p: Project) -> list[str]:
    """The command lines running in the project's bench container (none if it is not up)."""
    names = [n for n in p.containers() if "-bench-run-" in n]
    if not names:
        return []
    top = subprocess.run(["docker", "top", names[0]], capture_output=True, text=True, timeout=60)
    return top.stdout.splitlines()[1:] if top.returncode == 0 else []


def test_ctrl_c_leaves_only_compose_services(project: Project) -> None:
    """As a user does it: `docker compose run` in a terminal, then Ctrl-C (the terminal's
    byte, which compose passes to the container's terminal)."""
    before = project.containers()
    cmd = project.cmd("run", "--rm", "-e", "BENCH_PROFILE=tiny", "bench")
    terminal, child = pty.openpty()
    proc = subprocess.Popen(
        cmd, cwd=compose.ROOT, env=compose.clean_env(), stdin=child, stdout=child, stderr=child
    )
    os.close(child)
    output: list[bytes] = []
    reader = threading.Thread(target=drain, args=(terminal, output), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while not any("celery" in line or "taskiq" in line for line in bench_processes(project)):
        assert proc.poll() is None and time.monotonic() < deadline, b"".join(output)[-3000:]
        time.sleep(0.5)
    os.write(terminal, b"\x03")
    assert proc.wait(180) != 0  # interrupted
    # The bench's container went, with every process in it; only services compose manages
    # (those that were up, and the Postgres and RabbitMQ `run` started) are left.
    left = project.containers()
    extra = [n for n in left if n not in before and not re.search(r"-(postgres|rabbitmq)-1$", n)]
    assert not extra, (before, left)
    os.close(terminal)


def drain(fd: int, into: list[bytes]) -> None:
    """Read a terminal until it closes (compose blocks on a full terminal otherwise)."""
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 65536):
            into.append(chunk)


def test_an_exposed_api_without_a_token_does_not_start(project: Project) -> None:
    exposed = project.with_settings(API_BIND="0.0.0.0")  # the next `up` puts the API back
    cmd = exposed.cmd("up", "-d", "--wait", "api")
    done = subprocess.run(cmd, cwd=compose.ROOT, env=compose.clean_env(),
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode != 0  # the API exits: `up --wait` fails
    logs = exposed.run("logs", "--no-color", "api", check=False)
    assert "API_BIND=0.0.0.0 exposes the API: set API_TOKEN" in logs, logs[-2000:]
    assert "Traceback" not in logs

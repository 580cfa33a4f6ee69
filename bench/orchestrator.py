"""Run a matrix of cells: start what each needs, load, drain, stop, save raw data.

One cell = one variant x scenario x model x load x repetition. Repetitions are
interleaved across variants (A B A B) so slow drift of the host hits both alike.
"""

import csv
import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from kombu import Connection

from bench import commands, faults
from bench.jobsdb import JobsDB
from bench.processes import Processes, wait_http
from bench.sampler import Sampler
from bench.scenarios import FAULT_HOLD_MS, FAULT_SCENARIO, SCENARIOS, Profile, backend_of
from core.brokers import DeadLetters
from core.contract import Backend
from core.settings import Settings

PREFILL_CHUNK = 500
DRAIN_LIMIT_S = 180.0
API_KILL_PUBLISH_DELAY_MS = 100


@dataclass(frozen=True)
class Cell:
    index: int
    variant: str
    scenario: str
    model: str
    load: float  # users (closed), jobs/s (open and fault), backlog (drain)
    rep: int
    fault: str | None = None

    @property
    def backend(self) -> Backend:
        return backend_of(self.variant)


def plan(profile: Profile) -> list[Cell]:
    cells: list[Cell] = []
    for rep in range(profile.reps):
        for name in profile.scenarios:
            scenario = SCENARIOS[name]
            for model in profile.models:
                if model == "drain":
                    loads: tuple[float, ...] = (
                        max(10, round(scenario.drain_jobs * profile.drain_scale)),
                    )
                elif model == "closed":
                    loads = tuple(float(u) for u in profile.users) or (
                        float(scenario.closed_users),
                    )
                else:
                    loads = profile.rates or scenario.open_rates
                for load in loads:
                    for variant in profile.variants:
                        cells.append(Cell(len(cells), variant, name, model, load, rep))
    # Faults test the patterns to copy: the runner bridge and Taskiq.
    fault_variants = [v for v in profile.variants if v in ("celery", "taskiq")]
    for fault in profile.faults:
        for variant in fault_variants or profile.variants:
            cells.append(
                Cell(len(cells), variant, FAULT_SCENARIO, "fault", profile.fault_rate, 0, fault)
            )
    return cells


@dataclass
class Target:
    api_url: str
    settings: Settings
    external: bool
    api_port: int = 8000
    stub_port: int = 8090
    locust_workers: int = 0  # >0: Locust runs as a master with this many worker processes


class Runner:
    def __init__(self, run_dir: Path, profile: Profile, target: Target, procs: Processes) -> None:
        self.run_dir, self.profile, self.target, self.procs = run_dir, profile, target, procs
        self.settings = target.settings
        self.db = JobsDB(self.settings.database_url)
        self.http = httpx.Client(base_url=target.api_url, timeout=60)

    # -- shared services -------------------------------------------------------------
    def start_services(self) -> None:
        """Stub and API: the same for every cell and both backends."""
        if self.target.external:
            return  # never empty a deployment's tables
        for port in (self.target.stub_port, self.target.api_port):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    raise RuntimeError(
                        f"port {port} is in use: stop what runs there, pick other ports, "
                        "or drive it with --external"
                    )
        self.db.reset()
        self.queues("delete")  # declared afresh, with this version's arguments
        self.procs.start("stub", commands.stub(self.target.stub_port))
        wait_http(self.settings.stub_url + "/health", self.procs, "stub")
        self.start_api()

    def start_api(self, env: dict[str, str] | None = None) -> None:
        self.procs.start("api", commands.api(self.target.api_port), env)
        wait_http(f"{self.target.api_url}/health", self.procs, "api")

    def restart_api(self, env: dict[str, str] | None = None) -> None:
        self.procs.stop("api")
        self.start_api(env)

    def queues(self, action: str) -> None:
        """Purge (or delete) both backends' queues and their dead-letter queues."""
        with Connection(self.settings.amqp_url, connect_timeout=5) as conn:
            for backend in Backend:
                base = self.settings.queue_for(backend)
                dead = DeadLetters.of(base)
                for queue in (base, dead.kept, dead.recovery):
                    channel = conn.channel()
                    with suppress(Exception):  # not declared yet: nothing to do
                        getattr(channel, f"queue_{action}")(queue)

    # -- workers ---------------------------------------------------------------------
    def start_worker(self, cell: Cell) -> None:
        if self.target.external:
            return  # the deployment's own workers are running
        env = {"TEST_HOLD_MS": str(FAULT_HOLD_MS if cell.fault else 0)}
        cmd = commands.worker(
            cell.variant, self.settings.worker_processes, self.settings.worker_slots
        )
        self.procs.start("workers", cmd, env)

    def wait_consuming(self, cell: Cell, limit_s: float = 90) -> None:
        queue = self.settings.queue_for(cell.backend)
        deadline = time.monotonic() + limit_s
        with Connection(self.settings.amqp_url, connect_timeout=5) as conn:
            while time.monotonic() < deadline:
                if not self.target.external:
                    self.procs.check_alive("workers")
                try:
                    _, _, consumers = conn.channel().queue_declare(queue, passive=True)  # type: ignore[attr-defined]
                    if consumers >= 1:
                        return
                except Exception:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"no {cell.backend} consumer on {queue} after {limit_s}s")

    def stop_worker(self) -> None:
        if not self.target.external:
            self.procs.stop("workers")

    def wait_drained(self, run_id: str, limit_s: float = DRAIN_LIMIT_S) -> bool:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.db.unfinished(run_id) == 0:
                return True
            time.sleep(0.25)
        return False

    # -- load models -----------------------------------------------------------------
    def prefill(self, cell: Cell, run_id: str) -> None:
        rng = random.Random(cell.index)
        backlog = int(cell.load)
        for start in range(0, backlog, PREFILL_CHUNK):
            jobs = []
            for _ in range(min(PREFILL_CHUNK, backlog - start)):
                task, payload = SCENARIOS[cell.scenario].generate(rng)
                jobs.append(
                    {"backend": cell.backend, "task": task, "payload": payload, "run_id": run_id}
                )
            r = self.http.post("/jobs/batch", json={"jobs": jobs})
            if r.status_code != 202:
                raise RuntimeError(f"prefill failed: {r.status_code} {r.text[:300]}")

    def locust(self, cell: Cell, run_id: str, cell_dir: Path) -> None:
        scenario = SCENARIOS[cell.scenario]
        if cell.model == "closed":
            users, user_class, rate = int(cell.load), "ClosedUser", 1.0
        else:  # open: enough users that each posts at most ~5 jobs/s
            users = max(1, min(100, round(cell.load / 5)))
            user_class, rate = "OpenUser", cell.load / users
        run_time = self.run_time(cell)
        out, workers = str(cell_dir / "locust"), self.target.locust_workers
        cmd = commands.locust(users, run_time, self.target.api_url, out, user_class, workers)
        env = {
            "BENCH_SCENARIO": scenario.name,
            "BENCH_BACKEND": cell.backend,
            "BENCH_RUN_ID": run_id,
            "BENCH_RATE": str(rate),
        }
        procs = self.procs
        proc = procs.start("locust", cmd, env)
        for n in range(workers):  # distributed: one master, N local worker processes
            procs.start(f"locust-worker-{n}", commands.locust_worker(user_class), env)
        try:
            proc.wait(run_time + 90)
        finally:
            for name in ["locust", *(f"locust-worker-{n}" for n in range(workers))]:
                procs.stop(name)
        if not (cell_dir / "locust_stats.csv").exists():
            log = (procs.log_dir / "locust.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"Locust produced no stats (exit {proc.returncode}):\n{log}")

    def run_time(self, cell: Cell) -> float:
        measured = self.profile.fault_duration_s if cell.fault else self.profile.duration_s
        return self.profile.warmup_s + measured

    def inject(self, cell: Cell, marks: dict[str, Any]) -> threading.Thread:
        """Strike a third of the way into the measured load, from a thread."""
        assert cell.fault is not None
        notes: list[str] = []
        marks["fault_notes"] = notes

        def restart() -> None:
            self.start_worker(cell)
            self.wait_consuming(cell)

        ctx = faults.FaultContext(
            cell.backend, self.procs, self.settings, self.db, restart, self.restart_api, notes
        )
        delay = self.profile.warmup_s + self.profile.fault_duration_s / 3

        def strike() -> None:
            time.sleep(delay)
            marks["t_fault"] = self.db.now()
            try:
                faults.INJECT[cell.fault](ctx)  # type: ignore[index]
            except Exception as exc:  # recorded, and the cell is flagged
                notes.append(f"fault injection failed: {type(exc).__name__}: {exc}")
            marks["t_fault_done"] = self.db.now()

        thread = threading.Thread(target=strike, name="fault", daemon=True)
        thread.start()
        return thread

    def queue_state(self, cell: Cell) -> dict[str, int]:
        """Messages left in the backend's queue and in its dead-letter queue."""
        queue = self.settings.queue_for(cell.backend)
        state = {}
        with Connection(self.settings.amqp_url, connect_timeout=5) as conn:
            for key, name in (
                ("left_in_queue", queue),
                ("dead_lettered", DeadLetters.of(queue).kept),
            ):
                try:
                    _, depth, consumers = conn.channel().queue_declare(name, passive=True)  # type: ignore[attr-defined]
                except Exception:
                    depth, consumers = 0, 0
                state[key] = int(depth)
                if key == "left_in_queue":
                    state["consumers"] = int(consumers)
        return state

    # -- one cell --------------------------------------------------------------------
    def run_cell(self, cell: Cell, on_phase: Callable[[str], None]) -> Path:
        run_id = f"{self.run_dir.name}.{cell.index:03d}"
        cell_dir = self.run_dir / "cells" / run_id
        cell_dir.mkdir(parents=True, exist_ok=True)
        queue = self.settings.queue_for(cell.backend)
        self.queues("purge")
        self.stub_calls(reset=True)
        marks: dict[str, Any] = {}
        if cell.fault == "api-kill":  # widen commit -> publish, so the kill finds rows there
            self.restart_api({"TEST_PUBLISH_DELAY_MS": str(API_KILL_PUBLISH_DELAY_MS)})
            marks["api_publish_delay_ms"] = API_KILL_PUBLISH_DELAY_MS
        try:
            if cell.model == "drain":
                on_phase("prefill")
                self.prefill(cell, run_id)
                marks["message"] = peek_message(self.settings.amqp_url, queue)
            else:
                on_phase("start workers")
                self.start_worker(cell)
                self.wait_consuming(cell)
            with Sampler(cell_dir, self.component_pids, self.settings.amqp_url, queue):
                marks["t_load_start"] = self.db.now()
                if cell.model == "drain":
                    on_phase("drain")
                    self.start_worker(cell)
                else:
                    on_phase(f"load ({cell.fault or cell.model})")
                    marks["t_measure_start"] = marks["t_load_start"] + self.profile.warmup_s
                    striker = self.inject(cell, marks) if cell.fault else None
                    self.locust(cell, run_id, cell_dir)
                    if striker is not None:
                        striker.join(120)
                    marks["t_measure_end"] = self.db.now()
                    on_phase("drain")
                marks["drained"] = self.wait_drained(run_id)
                marks["t_end"] = self.db.now()
                if cell.fault:
                    marks.update(self.queue_state(cell))
        finally:
            self.stop_worker()
            if cell.fault == "api-kill":
                self.restart_api()
        ids = self.db.export(run_id, cell_dir / "jobs.csv")
        calls = self.stub_calls()
        if calls is not None:
            save_calls(cell_dir / "calls.csv", {i: calls.get(i, 0) for i in ids})
        spec = {
            **asdict(cell),
            "cell_id": run_id,
            "backend": cell.backend,
            "processes": self.settings.worker_processes,
            "slots": self.settings.worker_slots,
            "cpus": _cpus(),
            "offered": cell.load if cell.model in ("open", "fault") else None,
            **marks,
        }
        (cell_dir / "cell.json").write_text(json.dumps(spec, indent=2))
        return cell_dir

    def stub_calls(self, reset: bool = False) -> dict[str, int] | None:
        """Calls the external (stub) service received per job id; None if unreachable."""
        try:
            url = f"{self.settings.stub_url}/calls"
            if reset:
                httpx.delete(url, timeout=10).raise_for_status()
                return None
            body = httpx.get(url, timeout=30).raise_for_status().json()
        except httpx.HTTPError:
            return None
        calls: dict[str, int] = body["calls"]
        return calls

    def component_pids(self) -> dict[str, list[int]]:
        """Root pids per component; Locust master and its workers count as one."""
        pids: dict[str, list[int]] = {}
        for name, proc in list(self.procs.running.items()):
            if proc.poll() is None:
                pids.setdefault(name.split("-worker-")[0], []).append(proc.pid)
        return pids

    def close(self) -> None:
        self.http.close()
        self.db.close()


def _cpus() -> int:
    return os.cpu_count() or 1


def peek_message(amqp_url: str, queue: str) -> dict[str, Any] | None:
    """The first message of a backlog as RabbitMQ holds it: body size and the task's
    arguments. Returned to the queue (its delivery count goes up by one)."""
    with Connection(amqp_url, connect_timeout=5) as conn:
        channel = conn.channel()
        message = channel.basic_get(queue, no_ack=False)  # type: ignore[attr-defined]
        if message is None:
            return None
        body = message.body if isinstance(message.body, bytes) else message.body.encode()
        channel.basic_reject(message.delivery_tag, requeue=True)  # type: ignore[attr-defined]
    return {"body_bytes": len(body), "body": body.decode(errors="replace")[:500]}


def save_calls(path: Path, calls: dict[str, int]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "calls"])
        w.writerows(sorted(calls.items()))

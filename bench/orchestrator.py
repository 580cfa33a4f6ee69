"""Run the cells of a plan: start what each needs, load, measure, stop, save raw data.

Every cell writes results/<run>/cells/<cell>/: cell.json (what ran, and the marks of
its windows on Postgres's clock), jobs.csv, calls.csv, samples.csv, queue.csv and
Locust's or the job-cost run's own output. The report reads only these.
"""

import csv
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import amqp, commands, faults, loads
from bench.jobsdb import JobsDB
from bench.plan import Cell
from bench.processes import Processes, wait_http
from bench.profiles import Profile
from bench.sampler import Sampler
from bench.scenarios import API_APPS, FAULT_HOLD_MS
from core.brokers import DeadLetters
from core.settings import Settings

DRAIN_LIMIT_S = 180.0
DEFAULT_API = "api.main:app"
JOBCOST_SECONDS = 3.0  # measured per level, after a warm-up of 20 jobs
API_KILL_PUBLISH_DELAY_MS = 300
Phase = Callable[[str], None]


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
        self.http = httpx.Client(base_url=target.api_url, timeout=120)
        s = self.settings
        self.backlogs = loads.Backlogs(profile, reserved=s.worker_processes * s.prefetch)
        self.worker_commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.workers_for: tuple[str, int, bool] | None = None  # what the running workers are
        self.api_app = DEFAULT_API

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
        amqp.each_queue(self.settings, "delete")  # declared afresh, with this version's arguments
        self.procs.start("stub", commands.stub(self.target.stub_port))
        wait_http(self.settings.stub_url + "/health", self.procs, "stub")
        self.start_api()

    def start_api(self, env: dict[str, str] | None = None, app: str = DEFAULT_API) -> None:
        self.procs.start("api", commands.api(self.target.api_port, app), env)
        self.api_app = app
        wait_http(f"{self.target.api_url}/health", self.procs, "api")

    def restart_api(self, env: dict[str, str] | None = None, app: str = DEFAULT_API) -> None:
        self.procs.stop("api")
        self.start_api(env, app)

    def ensure_api(self, app: str) -> None:
        if not self.target.external and self.api_app != app:
            self.restart_api(app=app)

    def loop_lag(self, reset: bool = True) -> dict[str, Any] | None:
        """The API's event-loop lag since the last reset (None: probe off or unreachable)."""
        try:
            r = self.http.get("/metrics/loop-lag", params={"reset": reset}, timeout=10)
        except httpx.HTTPError:
            return None
        figures: dict[str, Any] | None = r.json() if r.status_code == 200 else None
        return figures

    # -- workers ---------------------------------------------------------------------
    def start_workers(self, cell: Cell) -> None:
        if self.target.external:
            return  # the deployment's own workers are running
        prefetch = cell.prefetch or self.settings.prefetch
        profile = (cell.variant, prefetch, cell.fault is not None)
        if self.workers_for == profile and self.procs.of("workers"):
            return  # the same workers, still warm from the cell before
        self.stop_workers()
        self.workers_for = profile
        env = {"TEST_HOLD_MS": str(FAULT_HOLD_MS if cell.fault else 0)}
        env["WORKER_PREFETCH"] = str(prefetch)
        s = self.settings.model_copy(update={"worker_prefetch": prefetch})
        multiplier = s.celery_prefetch_multiplier(s.worker_slots)  # threads profiles
        cmds = commands.workers(cell.variant, s.worker_processes, s.worker_slots, multiplier)
        for n, cmd in enumerate(cmds):
            self.worker_commands[f"workers.{n}"] = (cmd, env)
            self.procs.start(f"workers.{n}", cmd, env)

    def restart_worker(self, name: str) -> None:
        """One worker process again, as a process supervisor would start it."""
        self.procs.stop(name)
        cmd, env = self.worker_commands[name]
        self.procs.start(name, cmd, env)

    def consumers_expected(self, cell: Cell) -> int:
        if cell.variant in commands.CELERY and commands.CELERY[cell.variant].pool == "prefork":
            return 1  # the parent consumes for its children
        return self.settings.worker_processes

    def wait_consuming(self, cell: Cell, limit_s: float = 90) -> None:
        queue = self.settings.queue_for(cell.backend)
        want = 1 if self.target.external else self.consumers_expected(cell)
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if not self.target.external:
                self.procs.check_alive("workers")
            if amqp.counts(self.settings.amqp_url, queue)[1] >= want:
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"fewer than {want} {cell.backend} consumers on {queue} after {limit_s}s"
        )

    def stop_workers(self) -> None:
        if not self.target.external:
            self.procs.stop_all("workers")
        self.workers_for = None

    def wait_settled(self, run_id: str, limit_s: float = 60) -> None:
        """Until no job of the run is running (prefetched messages of discarded jobs find
        no row and change nothing)."""
        deadline = time.monotonic() + limit_s
        while self.db.unfinished(run_id) and time.monotonic() < deadline:
            self.db.discard_unstarted(run_id)
            time.sleep(0.1)

    def wait_drained(self, run_id: str, limit_s: float = DRAIN_LIMIT_S) -> bool:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.db.unfinished(run_id) == 0:
                return True
            time.sleep(0.25)
        return False

    # -- cells -----------------------------------------------------------------------
    def run_cell(self, cell: Cell, on_phase: Phase) -> Path:
        run_id = f"{self.run_dir.name}.{cell.index:03d}"
        cell_dir = self.run_dir / "cells" / run_id
        cell_dir.mkdir(parents=True, exist_ok=True)
        if not self.target.external:  # never a deployment's messages
            amqp.each_queue(self.settings, "purge")
        self.stub_calls(reset=True)
        marks: dict[str, Any] = {}
        if cell.model == "jobcost":
            on_phase("in-process job cost")
            self.stop_workers()
            marks["t_load_start"] = self.db.now()
            loads.run_jobcost(self.procs, cell, run_id, cell_dir, JOBCOST_SECONDS)
        elif cell.model == "drain":
            self.ensure_api(DEFAULT_API)
            self.drain(cell, run_id, cell_dir, marks, on_phase)
        else:
            self.ensure_api(
                API_APPS.get(cell.variant, DEFAULT_API)
                if cell.purpose == "enqueue"
                else DEFAULT_API
            )
            self.under_load(cell, run_id, cell_dir, marks, on_phase)
        ids = self.db.export(run_id, cell_dir / "jobs.csv")
        if cell.purpose == "enqueue" and not self.target.external:  # no worker consumed them
            amqp.each_queue(self.settings, "purge")
            marks["discarded"] = self.db.discard_unstarted(run_id)
        calls = self.stub_calls()
        if calls is not None:
            save_calls(cell_dir / "calls.csv", {i: calls.get(i, 0) for i in ids})
        spec = {
            **asdict(cell),
            "cell_id": run_id,
            "backend": cell.backend if cell.model != "jobcost" else None,
            "processes": self.settings.worker_processes,
            "slots": self.settings.worker_slots,
            "prefetch": cell.prefetch or self.settings.prefetch,
            "cpus": os.cpu_count() or 1,
            "offered": cell.load if cell.model in ("open", "enqueue-rate", "fault") else None,
            **marks,
        }
        (cell_dir / "cell.json").write_text(json.dumps(spec, indent=2))
        return cell_dir

    def sampler(self, cell: Cell, cell_dir: Path) -> Sampler | None:
        """None for a calibration cell run bare: the harness's instrumentation at its minimum."""
        if cell.bare:
            return None
        queue = self.settings.queue_for(cell.backend)
        return Sampler(cell_dir, self.component_pids, self.settings.amqp_url, queue)

    def drain(
        self, cell: Cell, run_id: str, cell_dir: Path, marks: dict[str, Any], on_phase: Phase
    ) -> None:
        """A timed drain: a backlog larger than the window can take, workers started,
        completions counted over a fixed window after the first one, then the rest of
        the backlog discarded (the workers stay up for the variant's next cell)."""
        queue = self.settings.queue_for(cell.backend)
        self.stop_workers()
        amqp.each_queue(self.settings, "purge")
        marks["backlog"] = backlog = self.backlogs.size(cell)
        on_phase(f"prefill {backlog}")
        loads.prefill(self.http, cell, run_id, backlog)
        marks["message"] = amqp.peek_message(self.settings.amqp_url, queue)
        poll = 1.0 if cell.bare else 0.1
        with self.sampler(cell, cell_dir) or nullcontext():
            marks["t_load_start"] = self.db.now()
            on_phase("drain")
            self.start_workers(cell)
            first = self.db.wait_first_finish(run_id, limit_s=120, poll_s=poll)
            marks["t_window_start"] = start = first + self.profile.drain_ramp_s
            marks["t_window_end"] = end = start + self.profile.drain_window_s
            while (now := self.db.now()) < end:
                self.procs.check_alive("workers")
                time.sleep(min(poll, end - now))
            marks["t_end"] = self.db.now()
            # The rest of the backlog goes; the workers stay up for this variant's next cell.
            amqp.each_queue(self.settings, "purge")
            marks["discarded"] = self.db.discard_unstarted(run_id)
            self.wait_settled(run_id)
        done = self.db.finished_between(run_id, marks["t_window_start"], marks["t_window_end"])
        self.backlogs.record(cell, done / self.profile.drain_window_s)

    def under_load(
        self, cell: Cell, run_id: str, cell_dir: Path, marks: dict[str, Any], on_phase: Phase
    ) -> None:
        """Closed, open and fault cells: workers up, Locust drives the API, then drain."""
        queue = self.settings.queue_for(cell.backend)
        if cell.fault == "api-kill":  # widen commit -> publish, so the kill finds rows there
            self.restart_api({"TEST_PUBLISH_DELAY_MS": str(API_KILL_PUBLISH_DELAY_MS)})
            marks["api_publish_delay_ms"] = API_KILL_PUBLISH_DELAY_MS
        try:
            if cell.purpose == "enqueue":
                self.stop_workers()  # the API's rate alone: nothing consumes
            else:
                on_phase("start workers")
                self.start_workers(cell)
                self.wait_consuming(cell)
            self.loop_lag(reset=True)
            with Sampler(cell_dir, self.component_pids, self.settings.amqp_url, queue):
                marks["t_load_start"] = self.db.now()
                on_phase(f"load ({cell.fault or cell.model})")
                marks["t_measure_start"] = marks["t_load_start"] + self.profile.warmup_s
                striker = self.inject(cell, marks) if cell.fault else None
                measured = self.profile.fault_duration_s if cell.fault else self.profile.duration_s
                loads.run_locust(
                    self.procs,
                    cell,
                    run_id,
                    cell_dir,
                    self.target.api_url,
                    self.profile.warmup_s + measured,
                    self.target.locust_workers,
                )
                if striker is not None:
                    striker.join(120)
                marks["t_measure_end"] = self.db.now()
                marks["loop_lag"] = self.loop_lag(reset=True)
                if cell.purpose != "enqueue":
                    on_phase("drain")
                    marks["drained"] = self.wait_drained(run_id)
                marks["t_end"] = self.db.now()
                if cell.fault:
                    marks.update(self.queue_state(cell))
        finally:
            if cell.fault:
                self.stop_workers()  # a fault cell's workers hold every transaction
            if cell.fault == "api-kill":
                self.restart_api()

    def inject(self, cell: Cell, marks: dict[str, Any]) -> threading.Thread:
        """Strike a third of the way into the measured load, from a thread."""
        assert cell.fault is not None
        notes: list[str] = []
        marks["fault_notes"] = notes

        def restart(name: str | None = None) -> None:
            if name is None:
                self.stop_workers()
                self.start_workers(cell)
            else:
                self.restart_worker(name)
            self.wait_consuming(cell)

        def struck() -> None:
            marks["t_fault"] = self.db.now()

        ctx = faults.FaultContext(
            cell.backend,
            self.procs,
            self.settings,
            self.db,
            restart,
            self.restart_api,
            notes,
            struck,
        )
        delay = self.profile.warmup_s + self.profile.fault_duration_s / 3

        def strike() -> None:
            time.sleep(delay)
            struck()
            try:
                faults.INJECT[cell.fault](ctx)  # type: ignore[index]
            except faults.NotStruck as exc:  # the cell is invalid: nothing was survived
                notes.append(f"fault did not strike: {exc}")
            except Exception as exc:  # recorded, and the cell is invalid
                notes.append(f"fault injection failed: {type(exc).__name__}: {exc}")
            marks["t_fault_done"] = self.db.now()

        thread = threading.Thread(target=strike, name="fault", daemon=True)
        thread.start()
        return thread

    def queue_state(self, cell: Cell) -> dict[str, int]:
        """Messages left in the backend's queue and in its dead-letter queue."""
        queue = self.settings.queue_for(cell.backend)
        left, consumers = amqp.counts(self.settings.amqp_url, queue)
        dead, _ = amqp.counts(self.settings.amqp_url, DeadLetters.of(queue).kept)
        return {"left_in_queue": left, "consumers": consumers, "dead_lettered": dead}

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
        """Root pids per component ("workers.0" and "workers.1" are "workers")."""
        pids: dict[str, list[int]] = {}
        for name, proc in list(self.procs.running.items()):
            if proc.poll() is None:
                pids.setdefault(name.partition(".")[0], []).append(proc.pid)
        return pids

    def close(self) -> None:
        self.stop_workers()
        self.http.close()
        self.db.close()


def save_calls(path: Path, calls: dict[str, int]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "calls"])
        w.writerows(sorted(calls.items()))

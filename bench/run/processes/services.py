"""The stub and the API a run starts once and shares between every cell and both
backends; restarted only when a cell needs another API app or a fault hook."""

import random
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.raw import Cell
from bench.run import commands
from bench.run.probes import amqp
from bench.run.probes.jobsdb import JobsDB
from bench.run.processes.supervisor import Processes, wait_http
from bench.run.target import Target
from bench.spec.scenarios import SCENARIOS, jobs_path
from bench.spec.variants import BENCH_API

BACKLOG_CHUNK = 500  # jobs per batch POST
BACKLOG_CONCURRENCY = 4


class Services:
    def __init__(self, procs: Processes, target: Target, db: JobsDB) -> None:
        self.procs, self.target, self.db = procs, target, db
        self.settings = target.settings
        token = self.settings.api_token
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=target.api_url, timeout=120, headers=auth)
        self.api_app = (BENCH_API, 1)  # what the API runs, in how many processes

    def start(self) -> None:
        """From empty job tables and queues declared afresh (never a deployment's)."""
        if self.target.external:
            return
        for port in (self.target.stub_port, self.target.api_port):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    raise RuntimeError(f"port {port} is in use: stop what runs there")
        self.db.reset()
        amqp.each_queue(self.settings, "delete")  # declared again with this version's arguments
        self.procs.start("stub", commands.stub(self.target.stub_port))
        wait_http(self.settings.stub_url + "/health", self.procs, "stub")
        self.start_api()

    def start_api(
        self, env: dict[str, str] | None = None, app: str = BENCH_API, workers: int = 1
    ) -> None:
        self.procs.start("api", commands.api(self.target.api_port, app, workers), env)
        self.api_app = (app, workers)
        wait_http(f"{self.target.api_url}/health", self.procs, "api")

    def restart_api(
        self, env: dict[str, str] | None = None, app: str = BENCH_API, workers: int = 1
    ) -> None:
        self.procs.stop("api")
        self.start_api(env, app, workers)

    def ensure_api(self, app: str, workers: int = 1) -> None:
        """The API running this app in this many processes."""
        if not self.target.external and self.api_app != (app, workers):
            self.restart_api(app=app, workers=workers)

    def post_backlog(self, cell: Cell, run_id: str, n: int) -> None:
        """n jobs of the cell's scenario through the API, in batches, a few at a time (the
        API batches them again): a drain's backlog, a fault's burst."""
        rng = random.Random(cell.index)
        batches, path = [], "/jobs"
        for start in range(0, n, BACKLOG_CHUNK):
            jobs = []
            for _ in range(min(BACKLOG_CHUNK, n - start)):
                task, payload = SCENARIOS[cell.scenario].generate(rng)
                path = jobs_path(task)
                jobs.append(
                    {"backend": cell.backend, "task": task, "payload": payload, "run_id": run_id}
                )
            batches.append({"jobs": jobs})

        def post(body: dict[str, object]) -> None:
            r = self.http.post(f"{path}/batch", json=body)
            if r.status_code != 202:
                raise RuntimeError(f"posting jobs failed: {r.status_code} {r.text[:300]}")

        with ThreadPoolExecutor(BACKLOG_CONCURRENCY) as pool:
            list(pool.map(post, batches))

    def loop_lag(self, reset: bool = True) -> dict[str, Any] | None:
        """The API's event-loop lag since the last reset (None: probe off or unreachable)."""
        try:
            r = self.http.get("/metrics/loop-lag", params={"reset": reset}, timeout=10)
        except httpx.HTTPError:
            return None
        figures: dict[str, Any] | None = r.json() if r.status_code == 200 else None
        return figures

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

    def close(self) -> None:
        self.http.close()

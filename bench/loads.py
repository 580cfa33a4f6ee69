"""How a cell puts load on the system: a prefilled backlog, Locust users (closed, open,
enqueue), or the in-process job-cost run; and how large a drain backlog must be."""

import math
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import commands
from bench.plan import JOBCOST_LOADS, Cell
from bench.processes import Processes
from bench.profiles import Profile
from bench.scenarios import SCENARIOS

PREFILL_CHUNK = 500
PREFILL_CONCURRENCY = 4
PER_USER_RATE = 2.0  # jobs/s per open-model user: pacing holds while replies take < 0.5 s
MAX_OPEN_USERS = 500
MARGIN = 1.15  # a backlog this much larger than the fastest rate seen needs


class Backlogs:
    """Sizes each drain's backlog to outlast its window: from the fastest rate seen so
    far for the scenario and variant (the scenario's hint at first), with a margin."""

    def __init__(self, profile: Profile, reserved: int) -> None:
        self.profile, self.reserved = profile, reserved  # messages all worker processes reserve
        self.seen: dict[tuple[str, str, int | None], float] = {}

    def size(self, cell: Cell) -> int:
        rate = self.seen.get((cell.scenario, cell.variant, cell.prefetch))
        rate = rate or SCENARIOS[cell.scenario].drain_rate
        # The ramp and the window, a second for the workers' first jobs, and what every
        # worker process reserves before it runs them.
        seconds = self.profile.drain_ramp_s + self.profile.drain_window_s + 1.0
        return max(100, min(30_000, math.ceil(MARGIN * rate * seconds) + 2 * self.reserved))

    def record(self, cell: Cell, rate: float) -> None:
        key = (cell.scenario, cell.variant, cell.prefetch)
        self.seen[key] = max(rate, self.seen.get(key, 0.0))


def prefill(http: httpx.Client, cell: Cell, run_id: str, backlog: int) -> None:
    """The backlog, posted in batches, a few at a time (the API batches them again)."""
    rng = random.Random(cell.index)
    batches = []
    for start in range(0, backlog, PREFILL_CHUNK):
        jobs = []
        for _ in range(min(PREFILL_CHUNK, backlog - start)):
            task, payload = SCENARIOS[cell.scenario].generate(rng)
            jobs.append(
                {"backend": cell.backend, "task": task, "payload": payload, "run_id": run_id}
            )
        batches.append({"jobs": jobs})

    def post(body: dict[str, object]) -> None:
        r = http.post("/jobs/batch", json=body)
        if r.status_code != 202:
            raise RuntimeError(f"prefill failed: {r.status_code} {r.text[:300]}")

    with ThreadPoolExecutor(PREFILL_CONCURRENCY) as pool:
        list(pool.map(post, batches))


def run_locust(
    procs: Processes,
    cell: Cell,
    run_id: str,
    cell_dir: Path,
    api_url: str,
    run_time_s: float,
    locust_workers: int,
) -> None:
    if cell.model == "closed":
        users, user_class, rate = int(cell.load), "ClosedUser", 1.0
    elif cell.model == "enqueue":
        users, user_class, rate = int(cell.load), "EnqueueUser", 1.0
    else:  # open, enqueue-rate, fault: a user needs a reply within 1/PER_USER_RATE s to keep pace
        users = max(1, min(MAX_OPEN_USERS, math.ceil(cell.load / PER_USER_RATE)))
        user_class, rate = "OpenUser", cell.load / users
    out = str(cell_dir / "locust")
    cmd = commands.locust(users, run_time_s, api_url, out, user_class, locust_workers)
    env = {
        "BENCH_SCENARIO": cell.scenario,
        "BENCH_BACKEND": cell.backend,
        "BENCH_RUN_ID": run_id,
        "BENCH_RATE": str(rate),
    }
    proc = procs.start("locust", cmd, env)
    for n in range(locust_workers):  # distributed: one master, N local worker processes
        procs.start(f"locust.{n}", commands.locust_worker(user_class), env)
    try:
        proc.wait(run_time_s + 90)
    finally:
        procs.stop_all("locust")
    if not (cell_dir / "locust_stats.csv").exists():
        log = (procs.log_dir / "locust.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"Locust produced no stats (exit {proc.returncode}):\n{log}")


def run_jobcost(procs: Processes, cell: Cell, run_id: str, cell_dir: Path, seconds: float) -> None:
    """The scenario's job, in a process of its own, through the lifecycle, no queue, at
    each of JOBCOST_LOADS jobs in flight."""
    out = cell_dir / "jobcost.json"
    cmd = commands.jobcost(cell.scenario, JOBCOST_LOADS, seconds, run_id, out)
    proc = procs.start("jobcost", cmd)
    try:
        proc.wait(len(JOBCOST_LOADS) * seconds + 120)
    finally:
        procs.stop("jobcost")
    if proc.returncode != 0:
        log = (procs.log_dir / "jobcost.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"job-cost run failed (exit {proc.returncode}):\n{log}")

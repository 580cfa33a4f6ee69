"""Locust users for the closed, open, latency and enqueue load models. HTTP only (Locust
runs on gevent); FastHttpUser, so the generator spends little CPU per request.

Settings come from the environment the orchestrator sets: BENCH_SCENARIO,
BENCH_BACKEND, BENCH_RUN_ID, BENCH_RATE (jobs/s per user, open models), BENCH_POSTS (where
every POST's send time, latency and status are written at the end), API_TOKEN, and for
PoissonUser BENCH_SEED, BENCH_START and BENCH_END (its schedule).

ClosedUser posts a job and waits for it with one long-poll (GET /jobs/{id}?wait=), no
polling loop; the job's end-to-end time is reported as a custom request type "JOB",
taken from the server (Postgres clock). OpenUser posts at a fixed rate; EnqueueUser
posts back to back (the enqueue model: the API's rate, no worker running). PoissonUser is
an open loop: arrivals of a seeded Poisson process, each POST in a greenlet of its own.
"""

import csv
import os
import random
import time

import gevent
import gevent.pool
from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.exception import StopUser

from bench.spec.scenarios import SCENARIOS, jobs_path
from core.contract import FINISHED, JobStatus

SCENARIO = SCENARIOS[os.environ.get("BENCH_SCENARIO", "price_order")]
BACKEND = os.environ.get("BENCH_BACKEND", "taskiq")
RUN_ID = os.environ.get("BENCH_RUN_ID", "adhoc")
RATE = float(os.environ.get("BENCH_RATE", "1"))
JOB_TIMEOUT_S = float(os.environ.get("BENCH_JOB_TIMEOUT_S", "60"))
WAIT_S = 30  # one long-poll per job, well within the API's bound
# > 0: poll GET /jobs/{id} every this many seconds instead of the long-poll (what clients
# did before it; kept to measure the difference).
POLL_S = float(os.environ.get("BENCH_POLL_S", "0"))
POSTS = os.environ.get("BENCH_POSTS")
TOKEN = os.environ.get("API_TOKEN")
SEED = os.environ.get("BENCH_SEED", "")
START, END = float(os.environ.get("BENCH_START", "0")), float(os.environ.get("BENCH_END", "0"))
ARRIVAL_CONNECTIONS = 200  # PoissonUser's connections: well above what its POSTs hold at once
COLUMNS = ("t", "latency_ms", "status", "scheduled", "late_ms", "id")
# Per POST: epoch s sent, latency ms, HTTP status, and for an arrival when it was due, how
# late it was sent (ms) and the job id. An arrival never sent keeps t = its due time.
sent: list[list[object]] = []


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def save_posts(**_: object) -> None:
    """Every POST of this Locust process, for the faults' timelines (a 503's time) and the
    latency model's schedule (what was due, sent and accepted)."""
    if POSTS and sent:
        with open(f"{POSTS}.{os.getpid()}.csv", "w", newline="") as f:
            csv.writer(f).writerows([COLUMNS, *sent])


class JobUser(FastHttpUser):
    abstract = True
    default_headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else None

    def on_start(self) -> None:
        self.rng = random.Random()

    def post_job(self, job: tuple[str, dict[str, object]] | None = None,
                 row: list[object] | None = None) -> str | None:  # fmt: skip
        """POST one job (a new one from the scenario unless given); its log row is `row`
        (an arrival's, already holding when it was due) or a new one."""
        name, payload = job or SCENARIO.generate(self.rng)
        body = {"backend": BACKEND, "task": name, "payload": payload, "run_id": RUN_ID}
        path, at = jobs_path(name), time.time()
        if row is None:
            row = [at, "", 0, "", "", ""]
            sent.append(row)
        else:  # an arrival: how late against its schedule
            row[0], row[4] = at, round(1000 * (at - float(str(row[3]))), 3)
        with self.client.post(path, json=body, name=f"POST {path}", catch_response=True) as r:
            row[1], row[2] = round(1000 * (time.time() - at), 3), r.status_code
            if r.status_code != 202:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                return None
            job_id: str = r.json()["id"]
            row[5] = job_id
            return job_id


class ClosedUser(JobUser):
    wait_time = constant(0)

    @task
    def job_and_wait(self) -> None:
        job_id = self.post_job()
        if job_id is None:
            return
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            if POLL_S:
                gevent.sleep(POLL_S)
                r = self.client.get(f"/jobs/{job_id}", name="GET /jobs/{id}")
            else:
                r = self.client.get(f"/jobs/{job_id}?wait={WAIT_S}", name="GET /jobs/{id}?wait")
            body = r.json() if r.status_code == 200 else {}
            if body.get("status") in FINISHED:
                failed = body["status"] == JobStatus.failed
                report_job(body["e2e_ms"], RuntimeError(body.get("error")) if failed else None)
                return
        report_job(JOB_TIMEOUT_S * 1000, TimeoutError(f"job {job_id} not done in {JOB_TIMEOUT_S}s"))


def report_job(e2e_ms: float, exception: BaseException | None) -> None:
    """A custom request type, so Locust's stats show the server-side job latency."""
    events.request.fire(  # type: ignore[no-untyped-call]
        request_type="JOB",
        name=f"{SCENARIO.name} e2e",
        response_time=e2e_ms,
        response_length=0,
        exception=exception,
        context={},
    )


class EnqueueUser(JobUser):
    """Posts as fast as the API answers: the enqueue rate of one API process."""

    wait_time = constant(0)

    @task
    def post_only(self) -> None:
        self.post_job()


class OpenUser(JobUser):
    wait_time = constant_throughput(RATE)

    @task
    def post_only(self) -> None:
        self.post_job()


class PoissonUser(JobUser):
    """The latency model's open loop: arrivals of a Poisson process at BENCH_RATE jobs/s
    (this process's share) from BENCH_START to BENCH_END, each POSTed in a greenlet of its
    own, so a slow answer delays no arrival. The schedule and the payloads come from
    BENCH_SEED: the two variants of a pair get the same arrivals of the same jobs."""

    wait_time = constant(0)
    concurrency = ARRIVAL_CONNECTIONS

    @task
    def arrivals(self) -> None:
        index = max(0, getattr(self.environment.runner, "worker_index", 0))
        gaps, self.rng = random.Random(f"{SEED}:{index}:gaps"), random.Random(f"{SEED}:{index}")
        pool, due = gevent.pool.Pool(), START
        while True:
            due += gaps.expovariate(RATE)
            if due >= END:
                break
            job = SCENARIO.generate(self.rng)  # drawn in schedule order, whoever sends first
            row: list[object] = [due, "", 0, due, "", ""]
            sent.append(row)
            gevent.sleep(max(0.0, due - time.time()))
            pool.spawn(self.post_job, job, row)
        pool.join(timeout=JOB_TIMEOUT_S)
        raise StopUser()

"""Locust users for the closed, open and enqueue load models. HTTP only (Locust runs on
gevent); FastHttpUser, so the generator spends little CPU per request.

Settings come from the environment the orchestrator sets: BENCH_SCENARIO,
BENCH_BACKEND, BENCH_RUN_ID, BENCH_RATE (jobs/s per user, open models), BENCH_POSTS (where
every POST's send time, latency and status are written at the end), API_TOKEN.

ClosedUser posts a job and waits for it with one long-poll (GET /jobs/{id}?wait=), no
polling loop; the job's end-to-end time is reported as a custom request type "JOB",
taken from the server (Postgres clock). OpenUser posts at a fixed rate; EnqueueUser
posts back to back (the enqueue model: the API's rate, no worker running).
"""

import csv
import os
import random
import time

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task

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
sent: list[tuple[float, float, int]] = []  # epoch s when sent, latency ms, HTTP status


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def save_posts(**_: object) -> None:
    """Every POST of this Locust process, for the faults' timelines (a 503's time)."""
    if POSTS and sent:
        with open(f"{POSTS}.{os.getpid()}.csv", "w", newline="") as f:
            csv.writer(f).writerows([("t", "latency_ms", "status"), *sent])


class JobUser(FastHttpUser):
    abstract = True
    default_headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else None

    def on_start(self) -> None:
        self.rng = random.Random()

    def post_job(self) -> str | None:
        name, payload = SCENARIO.generate(self.rng)
        body = {"backend": BACKEND, "task": name, "payload": payload, "run_id": RUN_ID}
        path, at = jobs_path(name), time.time()
        with self.client.post(path, json=body, name=f"POST {path}", catch_response=True) as r:
            sent.append((at, round(1000 * (time.time() - at), 3), r.status_code))
            if r.status_code != 202:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                return None
            job_id: str = r.json()["id"]
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

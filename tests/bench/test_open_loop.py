"""The latency model's generator (bench/run/loads/locustfile.py PoissonUser), run by real Locust
against a server that takes 300 ms to answer: it sends every arrival of its seeded Poisson
schedule on time, without waiting for answers (a closed loop would send a tenth of them),
the seed's jobs in the schedule's order, and logs what was due, when it was sent and the
job id."""

import csv
import json
import os
import random
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.raw import POSTS_PREFIX, read_posts
from bench.run.commands import locust
from bench.spec.scenarios import SCENARIOS
from tests.helpers.processes import ROOT

ANSWER_S, RATE, SEED, SECONDS = 0.3, 40.0, "test:40:0", 3.0


BODIES: list[dict[str, object]] = []


class Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        BODIES.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        time.sleep(ANSWER_S)
        body = json.dumps({"id": str(uuid.uuid4())}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def slow_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def schedule(start: float, end: float) -> list[float]:
    """The arrivals the seed gives: what the generator must have sent."""
    gaps, due, out = random.Random(f"{SEED}:0:gaps"), start, []
    while (due := due + gaps.expovariate(RATE)) < end:
        out.append(due)
    return out


def test_every_arrival_is_sent_on_time_without_waiting_for_answers(
    slow_api: str, tmp_path: Path
) -> None:
    start = time.time() + 4.0  # Locust's start-up, on a loaded box
    end = start + SECONDS
    cmd = locust(1, end + 2 - time.time(), slow_api, str(tmp_path / "locust"), "PoissonUser")
    env = {**os.environ, "BENCH_SCENARIO": "price_order", "BENCH_RATE": str(RATE),
           "BENCH_SEED": SEED, "BENCH_START": str(start), "BENCH_END": str(end),
           "BENCH_POSTS": str(tmp_path / POSTS_PREFIX)}  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    posts = read_posts(tmp_path)
    assert len(list(tmp_path.glob(f"{POSTS_PREFIX}.*.csv"))) == 1
    with next(tmp_path.glob(f"{POSTS_PREFIX}.*.csv")).open() as f:
        assert next(csv.reader(f)) == ["t", "latency_ms", "status", "scheduled", "late_ms", "id"]
    expected = schedule(start, end)
    assert len(expected) > 80  # about RATE x SECONDS
    assert [float(p["scheduled"]) for p in posts] == pytest.approx(expected, abs=1e-6)
    # All sent and answered, though each answer took 300 ms: ~12 in flight at once.
    assert all(p["late_ms"] and p["status"] == "202" and p["id"] for p in posts)
    late = sorted(float(p["late_ms"]) for p in posts)
    assert late[len(late) // 2] < 50 and late[-1] < 1000 * ANSWER_S, late[-5:]
    assert all(float(p["latency_ms"]) >= 1000 * ANSWER_S for p in posts)
    # The jobs too come from the seed, in schedule order: a pair's variants get the same ones.
    jobs = random.Random(f"{SEED}:0")
    drawn = [SCENARIOS["price_order"].generate(jobs)[1] for _ in range(len(BODIES))]
    key = lambda payload: json.dumps(payload, sort_keys=True)  # noqa: E731
    assert sorted(map(key, (b["payload"] for b in BODIES))) == sorted(map(key, drawn))

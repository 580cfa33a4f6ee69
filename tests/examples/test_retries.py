"""The native retries in examples/ on real RabbitMQ and real workers: Celery's
`autoretry_for` and Taskiq's `SmartRetryMiddleware` try a failing call three times, waiting
longer each time, and what each does when the count runs out (README, "Retries")."""

import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from uuid import uuid4

import pytest

from core.contract import Backend
from core.settings import Settings
from core.topology import DeadLetters
from tests.helpers import processes
from tests.helpers.amqp import consumers, depth
from tests.helpers.processes import ROOT
from tests.helpers.workers import eventually

pytestmark = pytest.mark.usefixtures("empty_queues")
WORKERS = {
    "celery": [sys.executable, "-m", "workers_celery", "-A", "examples.retries_celery"],
    "taskiq": [
        *(sys.executable, "-m", "taskiq", "worker", "examples.retries_taskiq:broker"),
        *("--workers", "1", "--ack-type", "when_executed"),
    ],
}


class Flaky:
    """An HTTP service whose path /<key>/<n> answers 503 to its first n calls, then 200;
    it keeps the time of every call."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                key, fails = self.path.strip("/").split("/")
                calls = flaky.calls.setdefault(key, [])
                calls.append(time.monotonic())
                self.send_response(503 if len(calls) <= int(fails) else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def gaps(self, key: str) -> list[float]:
        calls = self.calls.get(key, [])
        return [b - a for a, b in pairwise(calls)]


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    service = Flaky()
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()


async def send(backend: str, url: str) -> None:
    if backend == "celery":
        from examples.retries_celery import call

        await asyncio.to_thread(call.delay, url)
    else:
        from examples.retries_taskiq import broker
        from examples.retries_taskiq import call as kicked

        await broker.startup()
        try:
            await kicked.kiq(url)
        finally:
            await broker.shutdown()


@pytest.mark.parametrize("backend", ["celery", "taskiq"])
async def test_native_retries_back_off_then_give_up(
    backend: str, settings: Settings, flaky: Flaky
) -> None:
    queue = settings.queue_for(Backend(backend))
    dead = DeadLetters.of(queue).kept
    recovers, gives_up = uuid4().hex, uuid4().hex
    env = {"WORKER_PROCESSES": "1"}
    with (
        tempfile.TemporaryFile() as log,
        processes.running(WORKERS[backend], ROOT, env, log) as proc,
    ):

        async def consuming() -> bool:
            return await consumers(settings, queue) >= 1

        await eventually(consuming, 90, f"the example's {backend} worker", proc)
        await send(backend, f"{flaky.url}/{recovers}/2")  # fails twice, then answers
        await send(backend, f"{flaky.url}/{gives_up}/9")  # fails every time

        async def three_calls_each() -> bool:
            return all(len(flaky.calls.get(key, [])) >= 3 for key in (recovers, gives_up))

        async def given_up() -> bool:
            if backend == "celery":  # the exhausted task raised: rejected, dead-lettered
                return await depth(settings, dead) == 1
            return b"Maximum retries count is reached" in processes.logged(log)

        try:
            await eventually(three_calls_each, 60, "three calls to each URL", proc)
            await eventually(given_up, 30, "the worker to give up", proc)
        except AssertionError:
            print(processes.logged(log).decode(errors="replace")[-4000:])
            raise
    for key in (recovers, gives_up):
        gaps = flaky.gaps(key)
        print(f"{backend} {key[:6]}: waits {', '.join(f'{g:.2f}' for g in gaps)} s")
        assert len(gaps) == 2, f"{backend}: {len(gaps) + 1} calls, not 3 (max retries 2)"
        # ~1 s then ~2 s: the second longer by about a second (a loaded box adds to both).
        ok = 0.9 <= gaps[0] < 3 and gaps[1] >= 1.9 and gaps[1] - gaps[0] >= 0.7
        assert ok, f"{backend}: waits {gaps}, not ~1 s then ~2 s"
    # The worker has stopped: a delivery it had not settled would be back in the queue.
    assert await depth(settings, queue) == 0
    # Taskiq's middleware logs and acks the last failure: dropped, no dead letter.
    assert await depth(settings, dead) == (1 if backend == "celery" else 0)

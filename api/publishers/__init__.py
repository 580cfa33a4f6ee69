"""Publish job messages to either backend by task name, never importing a worker.

A message is the task name and the job id (the row holds the rest). Both backends
publish on the event loop through aio-pika, with publisher confirms, many messages
awaiting their confirms at once: celery.py and taskiq.py, each imported only when
BACKENDS names its backend (by_backend.py), so an API for one backend needs only that
one's library.
Both report which jobs did not go out.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import aio_pika
import anyio

from core.contract import Backend, Priority
from core.settings import Settings

CONFIRMS_IN_FLIGHT = 100  # messages awaiting their confirm at once, per publish call
RECONNECT_S = 1.0  # aio-pika's default, 5 s, would answer 503 that long after a broker blip
# RabbitMQ tells a connection it is blocked only when it next publishes: an empty message
# to no queue, when nothing else was published for this long, lets an idle API (and its
# /health) know of an alarm within about a second.
ALARM_PROBE_S = 1.0
ALARM_PROBE_KEY = "queuebench.alarm-probe"  # routes nowhere: RabbitMQ drops it


@dataclass(frozen=True)
class Outgoing:
    job_id: UUID
    task: str
    run_at: datetime | None = None  # a delayed job: not delivered before this
    priority: Priority = Priority.normal

    def delay_s(self) -> float:
        """Seconds from now until run_at (0: at once)."""
        if self.run_at is None:
            return 0.0
        return max(0.0, (self.run_at - datetime.now(UTC)).total_seconds())


def reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"publish failed: {type(exc).__name__}: {text}"[:500]


class Publisher(Protocol):
    async def start(self) -> None:
        """Connect; raises if the broker is down (publish tries again)."""
        ...

    def blocked(self) -> bool:
        """RabbitMQ is blocking this publisher (a memory or disk alarm): a publish would wait."""
        ...

    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        """Publish; return {job_id: reason} for jobs that did not go out."""
        ...

    async def close(self) -> None: ...


async def publish_each(
    jobs: Sequence[Outgoing], send: Callable[[Outgoing], Awaitable[None]], limit_s: float
) -> dict[UUID, str]:
    """Send every job, a bounded number awaiting confirms at once, each chunk within
    `limit_s` (one timer per chunk: a cancel scope per message cost 5% of the API's CPU)."""
    failed: dict[UUID, str] = {}
    for start in range(0, len(jobs), CONFIRMS_IN_FLIGHT):
        chunk = jobs[start : start + CONFIRMS_IN_FLIGHT]
        sends = [asyncio.ensure_future(send(job)) for job in chunk]
        try:
            _, late = await asyncio.wait(sends, timeout=limit_s)
        except asyncio.CancelledError:
            for pending in sends:
                pending.cancel()
            raise
        for pending in late:
            pending.cancel()
        if late:
            await asyncio.wait(late)
        for job, sent in zip(chunk, sends, strict=True):
            if sent in late:
                failed[job.job_id] = f"publish failed: no confirm within {limit_s} s"
            elif sent.cancelled():  # aiormq cancels what awaits a connection it closed
                failed[job.job_id] = "publish failed: the broker connection closed"
            elif (exc := sent.exception()) is not None:
                failed[job.job_id] = reason(exc)
    return failed


def broker_blocked(connection: aio_pika.abc.AbstractConnection | None) -> bool:
    """True while RabbitMQ has sent this connection `connection.blocked` (a resource alarm)
    and not yet `connection.unblocked`. aiormq tracks it in a private event and exposes no
    public state; the test of flow control fails if it moves (tests/api/test_flow.py)."""
    amqp = getattr(getattr(connection, "transport", None), "connection", None)
    if amqp is None:
        return False  # not connected: a publish fails fast, and says why
    unblocked = getattr(amqp, "_Connection__connection_unblocked", None)
    if not isinstance(unblocked, asyncio.Event):
        raise TypeError("aiormq changed: its connection.blocked state is not where it was")
    return not unblocked.is_set()


class Connected:
    """Connect once, lazily: if RabbitMQ is down the API still starts and retries."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.publish_timeout_s
        self._started = False
        self._lock = asyncio.Lock()
        self._probe: asyncio.Task[None] | None = None
        self._closing = False
        self._last_publish = 0.0

    async def connect(self) -> None:
        raise NotImplementedError

    def connection(self) -> aio_pika.abc.AbstractConnection | None:
        raise NotImplementedError

    def blocked(self) -> bool:
        return self._started and broker_blocked(self.connection())

    async def start(self) -> None:
        async with self._lock:
            if not self._started:
                with anyio.fail_after(self.timeout):
                    await self.connect()
                self._started = True
                self._probe = asyncio.create_task(self._probe_alarms(), name="alarm-probe")

    async def _probe_alarms(self) -> None:
        channel: aio_pika.abc.AbstractChannel | None = None
        loop = asyncio.get_running_loop()
        while not self._closing:
            await asyncio.sleep(ALARM_PROBE_S)
            connection = self.connection()
            idle = loop.time() - self._last_publish >= ALARM_PROBE_S
            if connection is None or connection.is_closed or not idle or self.blocked():
                continue
            try:
                if channel is None or channel.is_closed:
                    channel = await connection.channel(publisher_confirms=False)
                probe = aio_pika.Message(b"", delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT)
                async with asyncio.timeout(ALARM_PROBE_S):
                    await channel.default_exchange.publish(probe, ALARM_PROBE_KEY, mandatory=False)
            except Exception:  # a blip: the next round opens a channel again
                channel = None

    async def stop_probe(self) -> None:
        # The flag too: a cancel that lands as a publish completes can be swallowed on the
        # way (seen here: close() waited forever), and the loop must still end.
        self._closing = True
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.wait({self._probe}, timeout=2 * ALARM_PROBE_S)

    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        try:
            await self.start()
        except Exception as exc:
            return {j.job_id: reason(exc) for j in jobs}
        self._last_publish = asyncio.get_running_loop().time()
        return await publish_each(jobs, self.send, self.timeout)

    async def send(self, job: Outgoing) -> None:
        """Returns once RabbitMQ confirmed the message; raises if it did not."""
        raise NotImplementedError


async def publish(
    publishers: dict[Backend, Publisher], jobs: Sequence[tuple[Backend, Outgoing]]
) -> dict[UUID, str]:
    """Publish each job to its backend; {job_id: reason} for those that failed."""
    by_backend: dict[Backend, list[Outgoing]] = defaultdict(list)
    for backend, job in jobs:
        by_backend[backend].append(job)
    failed: dict[UUID, str] = {}
    for backend, outgoing in by_backend.items():
        failed.update(await publishers[backend].publish(outgoing))
    return failed

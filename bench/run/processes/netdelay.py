"""A network between the workers and the services: the harness's delay proxy
(netdelay/netdelay.c, built here with the machine's C compiler) in front of Postgres,
RabbitMQ and the stub, and what it really adds, measured with the clients the workers use
(asyncpg, aio-pika, httpx) against the same paths without a delay."""

import asyncio
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.run.processes.supervisor import Processes
from core.settings import Settings

SOURCE = Path(__file__).resolve().parents[3] / "netdelay" / "netdelay.c"  # includes faults.h
MAX_RTT_MS = 50.0  # beyond any datacentre: a bigger ask is a typo
PROBES = 60  # round trips per probe (the median), after a warm-up of 10


class ProxyError(RuntimeError):
    """The proxy cannot run as asked; the message says why."""


def binary() -> Path:
    """NETDELAY_BIN (the bench image builds it), else this checkout's build, made now if the
    source changed."""
    given = os.environ.get("NETDELAY_BIN")
    if given:
        return Path(given)
    sources = b"".join(f.read_bytes() for f in sorted(SOURCE.parent.iterdir()))
    digest = hashlib.sha256(sources).hexdigest()[:12]
    out = Path(".run") / f"netdelay-{digest}"
    if not out.exists():
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise ProxyError("no C compiler (cc) to build netdelay: install gcc")
        out.parent.mkdir(exist_ok=True)
        cmd = [cc, "-O2", "-Wall", "-pthread", "-o", str(out), str(SOURCE)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ProxyError(f"building netdelay failed: {done.stderr[-500:]}")
    return out


@dataclass(frozen=True)
class Route:
    """One service behind the proxy: where it is, and the local port that reaches it."""

    name: str  # postgres | rabbitmq | stub
    host: str
    port: int
    local_port: int

    @property
    def mapping(self) -> str:
        return f"{self.local_port}={self.host}:{self.port}"


def routes(settings: Settings, base_port: int) -> list[Route]:
    db, amqp, stub = (
        make_url(settings.database_url),
        urlsplit(settings.amqp_url),
        urlsplit(settings.stub_url),
    )
    return [
        Route("postgres", db.host or "127.0.0.1", db.port or 5432, base_port),
        Route("rabbitmq", amqp.hostname or "127.0.0.1", amqp.port or 5672, base_port + 1),
        Route("stub", stub.hostname or "127.0.0.1", stub.port or 80, base_port + 2),
    ]


def _netloc(netloc: str, port: int) -> str:
    userinfo, _, _ = netloc.rpartition("@")
    return f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}"


def through(settings: Settings, found: list[Route]) -> dict[str, str]:
    """The workers' settings that send their traffic through the proxy."""
    by = {r.name: r for r in found}
    db = make_url(settings.database_url).set(host="127.0.0.1", port=by["postgres"].local_port)
    amqp, stub = urlsplit(settings.amqp_url), urlsplit(settings.stub_url)
    return {
        "DATABASE_URL": db.render_as_string(hide_password=False),
        "AMQP_URL": urlunsplit(
            amqp._replace(netloc=_netloc(amqp.netloc, by["rabbitmq"].local_port))
        ),
        "STUB_URL": urlunsplit(stub._replace(netloc=_netloc(stub.netloc, by["stub"].local_port))),
    }


def check_rtt(rtt_ms: float) -> None:
    if not 0 <= rtt_ms <= MAX_RTT_MS:
        raise ProxyError(f"an RTT of {rtt_ms:g} ms is outside 0..{MAX_RTT_MS:g} ms")


def start(procs: Processes, rtt_ms: float, found: list[Route], name: str = "netdelay") -> None:
    """The proxy for `found`, half the RTT each way; raises ProxyError if it cannot listen."""
    check_rtt(rtt_ms)
    delay_us = round(rtt_ms * 1000 / 2)
    log = procs.log_dir / f"{name}.log"
    # The log is appended to by every start: only what this process writes counts.
    start_at = log.stat().st_size if log.exists() else 0
    proc = procs.start(
        name, [str(binary()), "--delay-us", str(delay_us), *(r.mapping for r in found)]
    )
    deadline = time.monotonic() + 10

    def said() -> str:
        with log.open("rb") as f:
            f.seek(start_at)
            return f.read().decode(errors="replace")

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lines = said().strip().splitlines()
            raise ProxyError(lines[-1] if lines else f"netdelay exited {proc.returncode}")
        if "ready" in said():
            return
        time.sleep(0.05)
    raise ProxyError("netdelay did not say ready within 10 s")


async def _median_ms(call: Callable[[], Awaitable[object]], n: int = PROBES) -> float:
    for _ in range(10):
        await call()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await call()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


async def postgres_rtt(settings: Settings) -> float:
    """A `SELECT 1` round trip with asyncpg, the workers' driver (median, ms)."""
    url = make_url(settings.database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        return await _median_ms(lambda: conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


async def _rtts(settings: Settings) -> dict[str, float]:
    """A round trip to each service with the workers' own client libraries, in ms."""
    pg = await postgres_rtt(settings)
    amqp = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await amqp.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        rabbit = await _median_ms(lambda: channel.declare_queue(queue.name, passive=True))
    finally:
        await amqp.close()
    async with httpx.AsyncClient(base_url=settings.stub_url, timeout=10) as http:
        stub = await _median_ms(lambda: http.get("/health"))
    return {"postgres": pg, "rabbitmq": rabbit, "stub": stub}


def measure(settings: Settings) -> dict[str, float]:
    return {k: round(v, 3) for k, v in asyncio.run(_rtts(settings)).items()}


class Distance:
    """The proxy for a run's network cells: one process at the RTT the current cell asks for,
    restarted when it changes, measured each time it starts."""

    def __init__(self, procs: Processes, settings: Settings, base_port: int) -> None:
        self.procs, self.settings = procs, settings
        self.routes = routes(settings, base_port)
        self.rtt_ms: float | None = None
        self.measured: dict[str, float] = {}

    def at(self, rtt_ms: float) -> dict[str, str]:
        """The workers' settings that reach every service `rtt_ms` away."""
        env = through(self.settings, self.routes)
        if self.rtt_ms != rtt_ms:
            self.stop()
            start(self.procs, rtt_ms, self.routes)
            self.rtt_ms = rtt_ms
            proxied = self.settings.model_copy(
                update={"database_url": env["DATABASE_URL"], "amqp_url": env["AMQP_URL"],
                        "stub_url": env["STUB_URL"]}
            )  # fmt: skip
            self.measured = measure(proxied)
        return env

    def stop(self) -> None:
        self.procs.stop("netdelay")
        self.rtt_ms, self.measured = None, {}


class FaultProxy:
    """The proxy at no delay in front of RabbitMQ for a fault cell's clients, one port per
    group ("workers", "api"), so that its log tells when each group came back after the
    proxy silenced or cut every open connection (SIGUSR1, SIGUSR2: netdelay.c)."""

    SIGNALS: ClassVar[dict[str, tuple[signal.Signals, str]]] = {
        "silence": (signal.SIGUSR1, "silenced"),
        "cut": (signal.SIGUSR2, "cut"),
    }

    def __init__(self, procs: Processes, settings: Settings, base_port: int,
                 groups: tuple[str, ...]) -> None:  # fmt: skip
        amqp = urlsplit(settings.amqp_url)
        host, port = amqp.hostname or "127.0.0.1", amqp.port or 5672
        self.procs, self.amqp = procs, amqp
        self.routes = {g: Route(g, host, port, base_port + n) for n, g in enumerate(groups)}
        self.name = "fault-proxy"
        self.log = procs.log_dir / f"{self.name}.log"
        self.start_at = 0

    def start(self) -> None:
        self.start_at = self.log.stat().st_size if self.log.exists() else 0
        start(self.procs, 0.0, list(self.routes.values()), self.name)

    def env(self, group: str) -> dict[str, str]:
        """The settings that send a group's AMQP connections through the proxy."""
        netloc = _netloc(self.amqp.netloc, self.routes[group].local_port)
        # No failover list (.env may give Celery one): every connection through the proxy.
        url = urlunsplit(self.amqp._replace(netloc=netloc))
        return {"AMQP_URL": url, "AMQP_FAILOVER_URLS": ""}

    def said(self, since: int | None = None) -> list[str]:
        """Its whole lines since its start (or the byte offset `since`)."""
        with self.log.open("rb") as f:
            f.seek(self.start_at if since is None else since)
            text = f.read().decode(errors="replace")
        return text.splitlines()[: text.count("\n")]  # a line still being written waits

    def strike(self, how: str) -> tuple[int, float]:
        """Silence or cut every open connection: how many, and when (epoch seconds)."""
        sig, word = self.SIGNALS[how]
        since = self.log.stat().st_size
        os.kill(self.procs.running[self.name].pid, sig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for line in self.said(since):
                if line.startswith(f"{word} "):  # "silenced N at T"
                    _, n, _, at = line.split()
                    return int(n), float(at)
            time.sleep(0.02)
        raise ProxyError(f"the fault proxy did not say '{word}' within 10 s")

    def back_at(self, group: str, after: float) -> float | None:
        """When the group's first new connection came, after `after` (epoch seconds)."""
        port = str(self.routes[group].local_port)
        for line in self.said():
            parts = line.split()  # "accepted PORT at T"
            if parts[:2] == ["accepted", port] and float(parts[3]) >= after:
                return float(parts[3])
        return None

    def stop(self) -> None:
        self.procs.stop(self.name)

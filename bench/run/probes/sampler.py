"""Sample CPU time and RSS per component, and the queue depth, in a background thread.

CPU is counted exactly, not estimated from percentages: each sample records the CPU
seconds (user + system) every process of a component used since the previous sample
(a process first seen counts its CPU since birth, except in the first, baseline
sample). CPU-seconds per job then come from summing a window's samples.

Components: processes the harness started (by name, with their children), the shared
services found by process name (RabbitMQ's beam.smp, every Postgres process) and the
harness process itself (the observer).
"""

import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import psutil
from kombu import Connection

from bench.raw import QUEUE_CSV, SAMPLES_CSV, write_rows

SERVICES = {"rabbitmq": ("beam.smp",), "postgres": ("postgres",)}
HARNESS = "harness"
NOT_VISIBLE = "not measured here: no {} process visible to the harness (another container or host)"


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _by_name(names: tuple[str, ...]) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in names]


class Sampler:
    """`roots` maps a component name to a function giving its root pids right now."""

    def __init__(
        self,
        out_dir: Path,
        roots: Callable[[], dict[str, list[int]]],
        amqp_url: str,
        queue: str,
        interval_s: float = 0.5,
        unowned: dict[str, str] | None = None,
    ) -> None:
        """`unowned`: components of a deployment the harness did not start, with why."""
        self.out_dir, self.roots, self.interval = out_dir, roots, interval_s
        self.amqp_url, self.queue = amqp_url, queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)
        self._cpu: dict[int, float] = {}  # pid -> its CPU seconds at the previous sample
        self._baseline = True
        self._seen: set[str] = set()  # components with a process at some sample
        self._unowned = unowned or {}
        self.rows: list[tuple[float, str, float, float]] = []
        self.depth: list[tuple[float, int]] = []

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._write()

    def _processes(self) -> dict[str, list[psutil.Process]]:
        found = {name: _by_name(names) for name, names in SERVICES.items()}
        for name, pids in self.roots().items():
            found[name] = [p for pid in pids for p in _tree(pid)]
        found[HARNESS] = [psutil.Process(os.getpid())]
        return found

    def _sample_processes(self, now: float) -> None:
        for component, procs in self._processes().items():
            cpu = rss = 0.0
            if procs:
                self._seen.add(component)
            for proc in procs:
                try:
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
                except psutil.Error:
                    continue
                total = times.user + times.system
                before = self._cpu.get(proc.pid, 0.0 if not self._baseline else total)
                cpu += max(0.0, total - before)
                self._cpu[proc.pid] = total
            self.rows.append((now, component, round(cpu, 4), round(rss / 2**20, 1)))
        self._baseline = False

    def _loop(self) -> None:
        conn: Connection | None = None
        try:
            while not self._stop.is_set():
                now = time.time()
                self._sample_processes(now)
                conn = self._sample_depth(now, conn)
                self._stop.wait(self.interval)
            self._sample_processes(time.time())  # closes the last interval
        finally:
            if conn is not None:
                with suppress(Exception):
                    conn.release()

    def _sample_depth(self, now: float, conn: Connection | None) -> Connection | None:
        """The queue's ready messages, through a connection kept between samples. While the
        broker is down (a fault) no depth is recorded, and the next sample reconnects."""
        try:
            if conn is None:
                conn = Connection(self.amqp_url, connect_timeout=2)
                conn.connect()
            try:
                _, depth, _ = conn.default_channel.queue_declare(self.queue, passive=True)  # type: ignore[attr-defined]
            except Exception as exc:
                if conn.connection_errors and isinstance(exc, conn.connection_errors):
                    raise
                depth = 0  # not declared yet: nothing waiting (a failed declare closes it)
                conn.release()
                conn = None
            self.depth.append((now, int(depth)))
            return conn
        except Exception:
            if conn is not None:
                with suppress(Exception):
                    conn.release()
            return None

    def not_measured(self) -> dict[str, str]:
        """Shared services the harness could not see, with why (never counted as 0)."""
        unseen = {n: NOT_VISIBLE.format(p[0]) for n, p in SERVICES.items() if n not in self._seen}
        return {**self._unowned, **unseen}

    def _write(self) -> None:
        write_rows(self.out_dir / SAMPLES_CSV, ["t", "component", "cpu_s", "rss_mb"], self.rows)
        write_rows(self.out_dir / QUEUE_CSV, ["t", "depth"], self.depth)

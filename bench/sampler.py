"""Sample CPU and RSS per component, and the queue depth, in a background thread.

Components: processes the harness started (by name, with their children) and the
shared services found by process name (RabbitMQ's beam.smp, Postgres backends).
"""

import csv
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from kombu import Connection

SERVICES = {"rabbitmq": ("beam.smp",), "postgres": ("postgres",)}


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
    ) -> None:
        self.out_dir, self.roots, self.interval = out_dir, roots, interval_s
        self.amqp_url, self.queue = amqp_url, queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)
        self._known: dict[int, psutil.Process] = {}  # cpu_percent needs the same object
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
        return found

    def _sample_processes(self, now: float) -> None:
        for component, procs in self._processes().items():
            cpu = rss = 0.0
            for proc in procs:
                proc = self._known.setdefault(proc.pid, proc)
                try:
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.rows.append((now, component, round(cpu, 1), round(rss / 2**20, 1)))

    def _loop(self) -> None:
        with Connection(self.amqp_url, connect_timeout=5) as conn:
            channel = conn.channel()
            while not self._stop.is_set():
                now = time.time()
                self._sample_processes(now)
                try:
                    ok = channel.queue_declare(self.queue, passive=True)  # type: ignore[attr-defined]
                    _, depth, _ = ok
                    self.depth.append((now, int(depth)))
                except Exception:  # queue not declared yet: nothing waiting
                    self.depth.append((now, 0))
                    channel = conn.channel()  # a failed passive declare closes it
                self._stop.wait(self.interval)

    def _write(self) -> None:
        with (self.out_dir / "samples.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t", "component", "cpu_pct", "rss_mb"])
            w.writerows(self.rows)
        with (self.out_dir / "queue.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t", "depth"])
            w.writerows(self.depth)

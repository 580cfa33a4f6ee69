"""The workers of one variant: started for a cell, kept warm for the variant's next cell,
restarted as a supervisor would after a fault, stopped when another variant's turn comes."""

import time

from bench.raw import Cell
from bench.run import commands
from bench.run.faults import registry
from bench.run.probes import amqp
from bench.run.processes.netdelay import Distance
from bench.run.processes.supervisor import Processes
from bench.run.target import Target
from bench.run.wait import until, within
from bench.spec.variants import BY_NAME
from core.settings import Settings

# Settled workers (every job finished) stop in about a second; a Celery prefork warm
# shutdown has hung past 30 s in about one stop in 30 here, undiagnosed.
WARM_SHUTDOWN_S = 10.0
NO_HOLD = {"TEST_HOLD_MS": "0"}  # said, so no hold reaches them from the harness's environment


class Workers:
    def __init__(self, procs: Processes, target: Target) -> None:
        self.procs, self.target, self.settings = procs, target, target.settings
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        # variant, sizes, fault hold, RTT: what the running workers were started for
        self.running_for: tuple[str, tuple[int, int, int], bool, float | None] | None = None
        self.distance: Distance | None = None  # the delay proxy, for network cells

    def sized(self, cell: Cell) -> Settings:
        """The settings the cell's workers run with: the run's, or the cell's own sizes."""
        s = self.settings
        update = {
            "worker_processes": cell.processes or s.worker_processes,
            "worker_slots": cell.slots or s.worker_slots,
            "worker_prefetch": cell.prefetch or s.prefetch,
        }
        return s.model_copy(update=update)

    def start(self, cell: Cell) -> None:
        if self.target.external:
            return  # the deployment's own workers are running
        s = self.sized(cell)
        sizes = (s.worker_processes, s.worker_slots, s.prefetch)
        profile = (cell.variant, sizes, cell.fault is not None, cell.rtt_ms)
        if self.running_for == profile and self.procs.of("workers"):
            return  # the same workers, still warm from the cell before
        self.stop()
        self.running_for = profile
        fault = registry.of(cell)
        env = fault.worker_env() if fault is not None else dict(NO_HOLD)
        if self.distance is not None:  # through the proxy at the cell's RTT, or not at all
            if cell.rtt_ms is None:
                self.distance.stop()
            else:
                env |= self.distance.at(cell.rtt_ms)
        env |= {
            "WORKER_PROCESSES": str(s.worker_processes),
            "WORKER_SLOTS": str(s.worker_slots),
            "WORKER_PREFETCH": str(s.prefetch),
        }
        multiplier = s.celery_prefetch_multiplier(s.worker_slots)  # threads profiles
        cmds = commands.workers(cell.variant, s.worker_processes, s.worker_slots, multiplier)
        for n, cmd in enumerate(cmds):
            self.commands[f"workers.{n}"] = (cmd, env)
            self.procs.start(f"workers.{n}", cmd, env)

    def restart(self, name: str) -> None:
        """One worker process again, as a process supervisor would start it."""
        self.procs.stop(name)
        cmd, env = self.commands[name]
        self.procs.start(name, cmd, env)

    def stop(self) -> None:
        if not self.target.external:
            killed = self.procs.stop_all("workers", WARM_SHUTDOWN_S)
            if killed:  # between cells: nothing measured waits on it, but say so
                print(f"{', '.join(killed)}: no warm shutdown within {WARM_SHUTDOWN_S:g} s, "
                      "killed (its reserved messages return to the queue, which the next cell "
                      "purges)", flush=True)  # fmt: skip
        self.running_for = None

    def stop_before(self, cell: Cell) -> None:
        """Before a cell's backlog is posted. Workers of the cell's backend stop first: none of
        the backlog may reach them. Workers of the other backend consume another queue: they
        get their SIGTERM now and are waited for after the backlog (`stop`), so their warm
        shutdown overlaps the posting, which is not measured."""
        running = self.running_for
        if running is not None and BY_NAME[running[0]].backend != cell.backend:
            if not self.target.external:
                self.procs.terminate("workers")
        else:
            self.stop()

    def expected_consumers(self, cell: Cell) -> int:
        if self.target.external:
            return 1
        if BY_NAME[cell.variant].prefork:
            return 1  # the parent consumes for its children
        return self.sized(cell).worker_processes

    def consuming(self, cell: Cell) -> bool:
        """The cell's consumers are on its queue."""
        queue = self.settings.queue_for(cell.backend)
        return amqp.counts(self.settings.amqp_url, queue)[1] >= self.expected_consumers(cell)

    def wait_consuming(self, cell: Cell, limit_s: float = 90) -> None:
        queue, want = self.settings.queue_for(cell.backend), self.expected_consumers(cell)
        check = None if self.target.external else lambda: self.procs.check_alive("workers")
        until(lambda: self.consuming(cell), limit_s, f"{want} {cell.backend} consumer(s) on "
              f"{queue}", 0.2, check)  # fmt: skip

    def back_within(self, cell: Cell, limit_s: float) -> float | None:
        """Seconds until the cell's consumers are on its queue (0.0: there at the first
        look), None if not within `limit_s`: after a broker outage a Celery worker retries
        with a growing backoff (2, 4, 6, 8 s ...), so one look the moment the queue drained
        would call a worker between retries gone."""
        if self.consuming(cell):
            return 0.0
        start = time.monotonic()
        if within(lambda: self.consuming(cell), limit_s, 0.5):
            return round(time.monotonic() - start, 1)
        return None

"""What a fault sees of the cell it strikes: the run's parts, the cell, its marks; and the
wait that makes a kill find work in flight (a fault that finds nothing proves nothing)."""

from dataclasses import dataclass

import psutil

from bench.raw import Cell, Marks
from bench.run.context import Context
from bench.run.wait import within
from core.contract import Backend
from core.settings import Settings

FAULT_WAIT_S = 3.0  # at most, for jobs in flight before a kill (inside the load)
KILL_AT_RUNNING = 3  # jobs running across async/threads workers when one is killed


class NotStruck(Exception):
    """The fault found nothing to break: its cell proves nothing and does not count."""


@dataclass
class FaultContext:
    run: Context
    cell: Cell
    marks: Marks

    @property
    def backend(self) -> Backend:
        return self.cell.backend

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def note(self, text: str) -> None:
        self.marks.fault_notes.append(text)

    def struck(self) -> None:
        """The fault's time: at the kill, after any wait for work in flight."""
        self.marks.t_fault = self.run.db.now()

    def restart_workers(self, name: str | None) -> None:
        """One worker process by name, or all of them, as a supervisor would; then consuming."""
        if name is None:
            self.run.workers.stop()
            self.run.workers.start(self.cell)
        else:
            self.run.workers.restart(name)
        self.run.workers.wait_consuming(self.cell)


def _first_worker(ctx: FaultContext) -> tuple[str, psutil.Process]:
    name = ctx.run.procs.of("workers")[0]
    return name, psutil.Process(ctx.run.procs.running[name].pid)


def _strike_when(ctx: FaultContext, status: str, at_least: int) -> int:
    """Wait (at most FAULT_WAIT_S) until `at_least` rows have `status`: a fault that finds
    nothing in flight proves nothing. Returns the count found."""

    def enough() -> int:
        found = ctx.run.db.count_status(status)
        return found if found >= at_least else 0

    found = within(enough, FAULT_WAIT_S, 0.005) or ctx.run.db.count_status(status)
    ctx.struck()  # recovery is timed from the kill, not from the wait
    return found


def _in_flight_wanted(ctx: FaultContext, children: list[psutil.Process]) -> int:
    """Prefork runs one job per child: all of them busy means the victim is too."""
    prefork = ctx.backend is Backend.celery and children
    return len(children) if prefork else KILL_AT_RUNNING

"""What a fault sees of the cell it strikes: the run's parts, the cell, its marks, and the
restart of the workers a supervisor would do after it."""

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.raw import Cell, Marks
from core.contract import Backend
from core.settings import Settings

if TYPE_CHECKING:  # the workers ask the injectors for their env: no import back at run time
    from bench.run.context import Context


class NotStruck(Exception):
    """The fault found nothing to break: its cell proves nothing and does not count."""


@dataclass
class FaultContext:
    run: "Context"
    cell: Cell
    run_id: str  # the cell's jobs carry it
    marks: Marks
    wall_fault: float = 0.0  # the strike on this host's clock, for what the strike times

    @property
    def backend(self) -> Backend:
        return self.cell.backend

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def note(self, text: str) -> None:
        self.marks.fault_notes.append(text)

    def timing(self, what: str, at: float | None, bound_s: float) -> None:
        """A moment the strike saw (epoch seconds on this host's clock), kept as seconds
        after the strike; None: not within `bound_s`, kept beside it."""
        assert self.wall_fault, "struck() first"
        self.marks.fault_timings[what] = None if at is None else round(at - self.wall_fault, 2)
        self.marks.fault_bounds[what] = bound_s

    def struck(self) -> None:
        """The fault's time: at the kill, after any wait for work in flight."""
        self.marks.t_fault = self.run.db.now()
        self.wall_fault = time.time()

    def restart_workers(self, name: str | None) -> None:
        """One worker process by name, or all of them, as a supervisor would; then consuming."""
        if name is None:
            self.run.workers.stop()
            self.run.workers.start(self.cell)
        else:
            self.run.workers.restart(name)
        self.run.workers.wait_consuming(self.cell)

"""One fault on the run side, keyed to its spec (bench/spec/faults.py) by name: whether it
can be injected here, what its cell's workers and API run with, how long its cell's load
lasts, and its strike, scheduled a third of the way into that load."""

import json
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from bench.raw import Cell, Marks
from bench.run.faults import needs
from bench.run.faults.strike import FaultContext, NotStruck
from bench.spec.faults import BY_NAME, FAULT_DEADLINES_S, FAULT_HOLD_MS, Fault
from bench.spec.profiles import Profile
from core.settings import Settings

if TYPE_CHECKING:  # the workers ask the injectors for their env: no import back at run time
    from bench.run.context import Context


class Injector:
    """A fault as the runner sees it; each fault is a subclass with its own `strike`."""

    name: ClassVar[str]  # the fault of bench/spec/faults.py it injects
    # The API's gap between commit and publish in its cell (TEST_PUBLISH_DELAY_MS); None:
    # the API as every cell runs it
    publish_delay_ms: ClassVar[int | None] = None
    # Settings every process of a run reads at its start, for this fault's sake
    run_env: ClassVar[Mapping[str, str]] = {}

    @property
    def spec(self) -> Fault:
        return BY_NAME[self.name]

    def problem(self, settings: Settings) -> str | None:
        """Why it cannot be injected against these services from here, or None."""
        return needs.problem(self.spec.needs, settings)

    @property
    def strike_limit_s(self) -> float:
        """How long the cell waits for its strike after the load: its outage, its bound,
        and the slow steps of a strike (a node started and back) within 240 s."""
        return self.spec.lasts_s + self.spec.notice_bound_s + 240

    def load_s(self, profile: Profile) -> float:
        """Its cell's measured load."""
        return self.spec.load_s(profile.fault_duration_s)

    def worker_env(self) -> dict[str, str]:
        """Its cell's workers hold every transaction, so it finds jobs in flight, under the
        fault cells' deadlines."""
        return {
            "TEST_HOLD_MS": str(FAULT_HOLD_MS),
            "JOB_DEADLINES_S": json.dumps(FAULT_DEADLINES_S),
        }

    def api_env(self) -> dict[str, str]:
        """What its cell's API is restarted with (and restarted without after); empty: none."""
        if self.publish_delay_ms is None:
            return {}
        return {"TEST_PUBLISH_DELAY_MS": str(self.publish_delay_ms)}

    def prepare(self, ctx: "Context") -> None:
        """Before its cell's API and workers start: what they must run through (a proxy)."""

    def finish(self, ctx: "Context") -> None:
        """After its cell, its workers stopped and the API back as every cell runs it."""

    def strike(self, ctx: FaultContext) -> None:
        """Break it now; NotStruck if there was nothing to break."""
        raise NotImplementedError

    def strike_later(
        self, ctx: "Context", cell: Cell, run_id: str, marks: Marks
    ) -> threading.Thread:
        """Strike a third of the way into the measured load, from a thread."""
        fault = FaultContext(ctx, cell, run_id, marks)
        at = ctx.profile.warmup_s + self.load_s(ctx.profile) / 3

        def strike() -> None:
            time.sleep(at)  # the schedule: a third of the way in
            fault.struck()
            try:
                self.strike(fault)
            except NotStruck as exc:  # the cell is invalid: nothing was survived
                fault.note(f"fault did not strike: {exc}")
            except Exception as exc:  # recorded, and the cell is invalid
                fault.note(f"fault injection failed: {type(exc).__name__}: {exc}")
            marks.t_fault_done = ctx.db.now()

        thread = threading.Thread(target=strike, name="fault", daemon=True)
        thread.start()
        return thread

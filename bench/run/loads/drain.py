"""The drain model: a backlog larger than the window can take is posted with no worker
running, then the workers start; completions are counted over a fixed window after the
first one, and the rest of the backlog is discarded (the workers stay up for the
variant's next cell). The backlog is sized from the fastest rate seen so far."""

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from pathlib import Path

from bench.raw import Cell, Marks
from bench.run.context import Context, Phase
from bench.run.probes import amqp
from bench.run.probes.sampler import Sampler
from bench.run.wait import until, within
from bench.spec.models import Purpose
from bench.spec.profiles import Profile
from bench.spec.scenarios import SCENARIOS
from core.settings import Settings

MARGIN = 1.15  # a backlog this much larger than the fastest rate seen needs


class Backlogs:
    """Sizes each drain's backlog to outlast its window: from the fastest rate seen so
    far for the scenario, variant and worker sizes (at first, the scenario's hint or the
    variant's fastest other sizes), with a margin. Keeps
    the main drains' rates too: the latency cells' offered rates are shares of them."""

    def __init__(self, profile: Profile, sized: Callable[[Cell], Settings]) -> None:
        self.profile, self.sized = profile, sized  # a cell's worker sizes
        self.seen: dict[tuple[str, str, int, int, int], float] = {}
        self.drained: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.by_cell: dict[int, float] = {}  # each drain's rate, by cell index (the tune's)

    @staticmethod
    def _key(cell: Cell, s: Settings) -> tuple[str, str, int, int, int]:
        return (cell.scenario, cell.variant, s.worker_processes, s.worker_slots, s.prefetch)

    def size(self, cell: Cell) -> int:
        s = self.sized(cell)
        # Sizes not drained yet: the fastest of the variant's other sizes, if above the hint.
        siblings = [r for k, r in self.seen.items() if k[:2] == (cell.scenario, cell.variant)]
        hint = max([SCENARIOS[cell.scenario].drain_rate, *siblings])
        rate = self.seen.get(self._key(cell, s)) or hint
        reserved = s.worker_processes * s.prefetch  # messages all worker processes reserve
        # The ramp and the window, a second for the workers' first jobs, and what every
        # worker process reserves before it runs them.
        seconds = self.profile.drain_ramp_s + self.profile.drain_window_s + 1.0
        return max(100, min(30_000, math.ceil(MARGIN * rate * seconds) + 2 * reserved))

    def record(self, cell: Cell, rate: float) -> None:
        key = self._key(cell, self.sized(cell))
        self.seen[key] = max(rate, self.seen.get(key, 0.0))
        self.by_cell[cell.index] = rate
        if cell.purpose is Purpose.main:
            self.drained[(cell.scenario, cell.variant)].append(rate)

    def capacity(self, scenario: str, variants: Iterable[str]) -> float | None:
        """The slowest of these variants' median drain rates of the scenario in this run."""
        rates = [self.drained.get((scenario, v)) for v in variants]
        if not all(rates):
            return None
        return min(statistics.median(r) for r in rates if r)


def settle(ctx: Context, run_id: str, limit_s: float = 60) -> None:
    """Until no job of the run is running; the unstarted are deleted meanwhile (messages
    of discarded jobs that workers prefetched find no row and change nothing)."""

    def settled() -> bool:
        ctx.db.discard_unstarted(run_id)
        return ctx.db.unfinished(run_id) == 0

    within(settled, limit_s)


def run(
    ctx: Context, backlogs: Backlogs, cell: Cell, run_id: str, cell_dir: Path, on_phase: Phase
) -> Marks:
    queue = ctx.settings.queue_for(cell.backend)
    ctx.workers.stop_before(cell)
    amqp.each_queue(ctx.settings, "purge")
    backlog = backlogs.size(cell)
    on_phase(f"prefill {backlog}")
    ctx.services.post_backlog(cell, run_id, backlog)
    ctx.workers.stop()  # every worker gone before the sampler and the window
    message = amqp.peek_message(ctx.settings.amqp_url, queue)
    if cell.rtt_ms is not None and ctx.workers.distance is not None:
        ctx.workers.distance.at(cell.rtt_ms)  # started and measured before the window opens
    poll = 1.0 if cell.bare else 0.1  # bare: the harness's instrumentation at its minimum
    window = ctx.profile.drain_window_s
    sampler: Sampler | None = None if cell.bare else ctx.sampler(cell, cell_dir)
    with sampler or nullcontext():
        t_load_start = ctx.db.now()
        on_phase("drain")
        ctx.workers.start(cell)
        distance = ctx.workers.distance
        measured = dict(distance.measured) if distance and cell.rtt_ms is not None else None
        first = until(
            lambda: ctx.db.first_finish(run_id), 120, f"a first job of {run_id} done", poll
        )
        assert first is not None  # until returns the first truthy value
        start = first + ctx.profile.drain_ramp_s
        end = start + window
        until(
            lambda: ctx.db.now() >= end,
            end - first + 60,
            "the drain window's end",
            poll,
            lambda: ctx.procs.check_alive("workers"),
        )
        t_end = ctx.db.now()
        # The rest of the backlog goes; the workers stay up for this variant's next cell.
        amqp.each_queue(ctx.settings, "purge")
        discarded = ctx.db.discard_unstarted(run_id)
        settle(ctx, run_id)
    backlogs.record(cell, ctx.db.finished_between(run_id, start, end) / window)
    return Marks(
        t_load_start=t_load_start,
        t_window_start=start,
        t_window_end=end,
        t_end=t_end,
        backlog=backlog,
        discarded=discarded,
        message=message,
        not_measured=sampler.not_measured() if sampler else {},
        rtt_measured=measured,
    )

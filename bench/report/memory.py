"""Memory in the answer: each variant's peak worker RSS, per worker process and per job it
can hold in flight, from the groups' medians over repetitions."""

from dataclasses import dataclass

from bench.report.blocks import Block, Heading, Para, Table
from bench.report.format import interval, num
from bench.report.index import Run
from bench.spec.variants import BY_NAME, order_key
from bench.summary import Interval


@dataclass(frozen=True)
class Memory:
    variant: str
    scenario: str  # where the peak was
    total: Interval  # every worker process together, MB
    processes: int
    in_flight: int | None  # jobs the variant's workers hold at once (None: slots unknown)

    @property
    def per_process(self) -> float | None:
        return None if self.total.median is None else self.total.median / self.processes

    @property
    def per_job(self) -> float | None:
        if self.total.median is None or not self.in_flight:
            return None
        return self.total.median / self.in_flight


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def memory(run: Run) -> list[Memory]:
    """Per variant, the scenario whose median peak RSS was highest (the worst it needed)."""
    processes = _int(run.s.ledger.get("worker_processes"))
    slots = _int(run.s.ledger.get("worker_slots"))
    if processes is None:
        return []
    found: dict[str, Memory] = {}
    for g in run.groups.values():
        if g.variant not in BY_NAME or g.worker_rss_mb.median is None:
            continue
        best = found.get(g.variant)
        if best is not None and (best.total.median or 0) >= g.worker_rss_mb.median:
            continue
        per_process = 1 if BY_NAME[g.variant].prefork else slots
        in_flight = None if per_process is None else processes * per_process
        found[g.variant] = Memory(g.variant, g.scenario, g.worker_rss_mb, processes, in_flight)
    return sorted(found.values(), key=lambda m: order_key(m.variant))


def memory_blocks(run: Run) -> list[Block]:
    rows = [
        [m.variant, interval(m.total), num(m.per_process), num(m.per_job), m.scenario]
        for m in memory(run)
    ]
    if not rows:  # --external: the deployment's workers are not the harness's processes
        return [
            Heading(3, "Memory"),
            Para(
                "Worker memory: not measured here (no worker process of this run was one the "
                "harness started and could see)."
            ),
        ]
    return [
        Heading(3, "Memory"),
        Table(
            ["variant", "peak worker RSS, MB", "per process", "per job in flight", "highest in"],
            rows,
        ),
        Para(
            "Peak resident memory of all the variant's worker processes together (children "
            "and threads included), median [interval] over repetitions of the scenario where "
            "it was highest; per job in flight divides by the jobs its workers hold at once "
            "(prefork: one per process; threads and Taskiq: the slots of every process)."
        ),
    ]

"""A tune run's report (bench/run/tune.py): best against best per job, each backend's winner
with its cost, memory and latency at half its own capacity, and every configuration tried."""

import statistics

from bench import stats
from bench.report.blocks import Block, Heading, Para, Table
from bench.report.format import DASH, NOT_MEASURED, interval, num, ratio
from bench.spec.models import Model, Purpose
from bench.spec.tune import LATENCY_SHARE, base_variant, parse
from bench.spec.variants import in_flight
from bench.summary import COST_COMPONENTS, SYSTEM, Group, Summary

NOTATION = (
    "A configuration is written variant@PxS qQ: P worker processes of S slots each (prefork: "
    "one task per child; threads: threads; Taskiq: --max-async-tasks), each reserving Q "
    "messages (prefork: Celery's prefetch multiplier; Taskiq: the consumer's qos)."
)


def _group(s: Summary, scenario: str, variant: str, model: str = Model.drain) -> Group | None:
    return next((g for g in s.groups if g.purpose == Purpose.tune and g.model == model
                 and g.scenario == scenario and g.variant == variant), None)  # fmt: skip


def _cost(g: Group | None, key: str) -> str:
    if g is None:
        return DASH
    if key not in g.cpu_ms_per_job:
        return NOT_MEASURED if g.not_measured else DASH
    return interval(g.cpu_ms_per_job[key])


def _p99(s: Summary, scenario: str, variant: str) -> str:
    """The median p99 of the winner's steady latency cells; an overloaded cell's latency
    grows with its window, so it is said, not shown."""
    cells = [c for c in s.cells if c.purpose == Purpose.tune and c.model == Model.latency
             and c.scenario == scenario and c.variant == variant]  # fmt: skip
    steady = [c for c in cells if c.valid and not c.overloaded and c.e2e_ms.p99 is not None]
    if not cells:
        return "not run"
    if not steady:
        behind = [c for c in cells if c.overloaded]
        if behind:
            return f"fell behind at {behind[0].load:g} jobs/s (overloaded)"
        return "invalid (see Flagged cells)"
    p99 = statistics.median(c.e2e_ms.p99 or 0.0 for c in steady)
    done = sum(c.completed for c in steady)
    return f"{num(p99)} ms at {steady[0].load:g} jobs/s ({done} jobs)"


def _intro(s: Summary) -> Para:
    tried = {t.backend: t.tried for t in s.tuned}
    sizes = ", ".join(f"{b} {n}" for b, n in tried.items())
    return Para(
        f"Each job drained once by every configuration searched ({sizes} per job); each "
        "backend's best few by that drain drained again in interleaved repetitions, and "
        "the highest median of those wins. The two winners then drained head to head in "
        "more repetitions; winner against winner pairs all of theirs. Each winner's latency "
        f"is Poisson arrivals at {LATENCY_SHARE:.0%} of its own median rate. {NOTATION}"
    )


def best_blocks(s: Summary) -> list[Block]:
    rows = []
    for c in s.best:
        taskiq = next(t.winner for t in s.tuned if t.scenario == c.scenario
                      and t.backend == "taskiq")  # fmt: skip
        system = c.system_cpu_ratio
        rows.append([
            c.scenario, c.celery, taskiq, ratio(c.throughput_ratio),
            stats.practical_verdict(c.throughput_ratio, s.margin, *stats.FASTER),
            ratio(c.worker_cpu_ratio), ratio(system) if system else NOT_MEASURED,
        ])  # fmt: skip
    headers = ["job", "Celery's best", "Taskiq's best", "jobs/s Taskiq / Celery", "verdict",
               "CPU/job, workers: T / C", "CPU/job, whole system: T / C"]  # fmt: skip
    return [Heading(2, "Best against best"), _intro(s), Table(headers, rows)]


def _rss(g: Group | None) -> str:
    return interval(g.worker_rss_mb) if g else DASH


def winner_blocks(s: Summary) -> list[Block]:
    rows = []
    for t in s.tuned:
        g = _group(s, t.scenario, t.winner)
        jobs = interval(g.throughput) if g else DASH
        over = f"{ratio(t.over_runner_up)} over {t.runner_up}" if t.runner_up else DASH
        rows.append([
            t.scenario, t.backend, t.winner, jobs, over, _cost(g, "workers"), _cost(g, SYSTEM),
            _rss(g), _p99(s, t.scenario, t.winner),
        ])  # fmt: skip
    headers = ["job", "backend", "winner", "jobs/s", "over the runner-up",
               "CPU ms/job, workers", "CPU ms/job, whole system", "worker RSS, MB",
               f"e2e p99 at {LATENCY_SHARE:.0%} of capacity"]  # fmt: skip
    note = Para(
        "Figures are medians over all the winner's drains (coarse, confirming and head to "
        "head) with their order-statistic intervals; the ratio over the runner-up pairs the "
        "confirming repetitions only, which both ran. RSS is the peak of all worker processes "
        "together."
    )
    return [Heading(2, "Each backend's winner"), note, Table(headers, rows)]


def _coarse(s: Summary, scenario: str, variant: str) -> float | None:
    return next((c.throughput for c in s.cells if c.purpose == Purpose.tune and c.rep == 0
                 and c.scenario == scenario and c.variant == variant), None)  # fmt: skip


def space_blocks(s: Summary) -> list[Block]:
    rows = []
    drains = [g for g in s.groups if g.purpose == Purpose.tune and g.model == Model.drain]
    for g in sorted(drains, key=lambda g: (g.scenario, -(g.throughput.median or 0))):
        confirmed = interval(g.throughput) if g.throughput.n > 1 else "not confirmed"
        rows.append([
            g.scenario, base_variant(g.variant), g.variant, num(_coarse(s, g.scenario, g.variant)),
            confirmed, _cost(g, SYSTEM),
        ])  # fmt: skip
    headers = ["job", "pool", "configuration", "coarse jobs/s", "all its drains, jobs/s",
               "CPU ms/job, whole system"]  # fmt: skip
    return [Heading(2, "Every configuration tried"), Table(headers, rows)]


def _per_slot(g: Group, in_flight: int) -> str:
    rss = g.worker_rss_mb
    if rss.median is None:
        return DASH
    scaled = rss.model_copy(update={k: v / in_flight for k, v in rss.model_dump().items()
                                    if k in ("median", "lo", "hi") and v is not None})  # fmt: skip
    return interval(scaled)


def capacity_blocks(s: Summary) -> list[Block]:
    """CPU ms per job is CPU seconds per 1000 jobs: at 1000 jobs/s, that many cores."""
    rows = []
    for t in s.tuned:
        g = _group(s, t.scenario, t.winner)
        if g is None:
            continue
        cores = [_cost(g, k) for k in (*COST_COMPONENTS, SYSTEM)]
        c = parse(t.winner)
        jobs = in_flight(c.variant, c.processes, c.slots)
        rows.append([t.scenario, t.winner, *cores, _per_slot(g, jobs)])
    headers = ["job", "configuration", *(f"cores per 1000 jobs/s: {k}" for k in COST_COMPONENTS),
               "cores per 1000 jobs/s: all", "worker MB per job in flight"]  # fmt: skip
    caveat = Para(
        "An estimate, from each winner's measured CPU per job (CPU ms per job = cores per "
        "1000 jobs/s) and its workers' peak memory over the jobs it runs at once. On this "
        "small host every component shares the same cores and caches, so a larger host may "
        "spend less per job. Measure your own with `make bench-tune` (or `docker compose "
        "run --rm -e BENCH_PROFILE=tune bench`): this table is in its report."
    )
    return [Heading(2, "Capacity, estimated"), caveat, Table(headers, rows)]


def tune_blocks(s: Summary) -> list[Block]:
    """The tune's sections; none for a run that is not a tune."""
    if not any(c.purpose == Purpose.tune for c in s.cells):
        return []
    return [*best_blocks(s), *winner_blocks(s), *capacity_blocks(s), *space_blocks(s)]

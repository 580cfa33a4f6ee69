"""Across cells: each variant's figures over repetitions (median and interval), the
paired Taskiq / Celery ratios per fairness mode, and the harness's calibration."""

from collections import defaultdict
from collections.abc import Callable, Iterable

from bench import stats
from bench.spec.models import Model, Purpose
from bench.spec.variants import MINIMAL, MODES
from bench.summary import (
    COST_COMPONENTS,
    SYSTEM,
    Calibration,
    CellResult,
    Comparison,
    DistanceEffect,
    Group,
    Interval,
    Overhead,
    Ratio,
)

# purpose, scenario, model, load, variant, prefetch, RTT (network cells; else None), and
# the variant a latency cell is paired with (Taskiq may run one rate for both modes)
Key = tuple[str, str, str, float, str, int, float | None, str | None]


def _key(c: CellResult) -> Key:
    return (c.purpose, c.scenario, c.model, c.load, c.variant, c.prefetch, c.rtt_ms, c.against)


def _order(item: tuple[Key, list[CellResult]]) -> tuple[object, ...]:
    key = item[0]
    return (*key[:6], -1.0 if key[6] is None else key[6], key[7] or "")


def _median(cells: list[CellResult], figure: Callable[[CellResult], float | None]) -> Interval:
    return stats.median_interval([v for c in cells if (v := figure(c)) is not None])


def _by_key(cells: Iterable[CellResult]) -> dict[Key, list[CellResult]]:
    by: dict[Key, list[CellResult]] = defaultdict(list)
    for c in cells:
        if c.fault is None and not c.bare:
            by[_key(c)].append(c)
    return by


def groups(cells: list[CellResult]) -> list[Group]:
    out = []
    for key, reps in sorted(_by_key(cells).items(), key=_order):
        purpose, scenario, model, load, variant, prefetch, rtt, against = key
        valid = [c for c in reps if c.valid]
        cost = {
            k: stats.median_interval([c.cpu_ms_per_job[k] for c in valid if k in c.cpu_ms_per_job])
            for k in COST_COMPONENTS
            if any(k in c.cpu_ms_per_job for c in valid)
        }
        whole = [v for v in map(system_cpu, valid) if v is not None]
        if whole:
            cost[SYSTEM] = stats.median_interval(whole)
        out.append(
            Group(
                purpose=purpose,
                scenario=scenario,
                model=model,
                load=load,
                variant=variant,
                prefetch=prefetch,
                rtt_ms=rtt,
                against=against,
                throughput=stats.median_interval([c.throughput for c in valid]),
                e2e_p50=_median(valid, lambda c: c.e2e_ms.p50),
                e2e_p95=_median(valid, lambda c: c.e2e_ms.p95),
                e2e_p99=_median(valid, lambda c: c.e2e_ms.p99),
                queue_wait_p50=_median(valid, lambda c: c.queue_wait_ms.p50),
                queue_wait_p95=_median(valid, lambda c: c.queue_wait_ms.p95),
                queue_wait_p99=_median(valid, lambda c: c.queue_wait_ms.p99),
                cpu_ms_per_job=cost,
                not_measured={k: v for c in valid for k, v in c.not_measured.items()},
                worker_rss_mb=stats.median_interval(
                    [c.usage["workers"].rss_max_mb for c in valid if "workers" in c.usage]
                ),
                failed=sum(c.failed for c in reps),
                lost=sum(c.lost for c in reps),
                duplicate_deliveries=sum(c.duplicate_deliveries for c in reps),
                invalid_reps=sum(1 for c in reps if not c.valid),
            )
        )
    return out


def steady(c: CellResult) -> bool:
    """Not overloaded: a latency cell whose queue grew through its window has latencies
    that grow with the window, so they are no figure to pair."""
    return not c.overloaded


Figure = Callable[[CellResult], float | None]


def _pairs(
    celery: list[CellResult], taskiq: list[CellResult],
    kept: Callable[[CellResult], bool] = lambda c: c.valid,
) -> list[tuple[CellResult, CellResult]]:  # fmt: skip
    """(Taskiq, Celery) cells of the same repetition, both kept."""
    by_rep = {c.rep: c for c in celery if kept(c)}
    return [(t, by_rep[t.rep]) for t in taskiq if kept(t) and t.rep in by_rep]


def paired_ratio(
    celery: list[CellResult], taskiq: list[CellResult], figure: Figure,
    kept: Callable[[CellResult], bool] = lambda c: c.valid,
) -> Ratio:  # fmt: skip
    pairs = [(figure(t), figure(c)) for t, c in _pairs(celery, taskiq, kept)]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    return stats.paired_ratio([a for a, _ in known], [b for _, b in known])


def throughput_ratio(celery: list[CellResult], taskiq: list[CellResult]) -> Ratio:
    """Jobs/s, whose resolution is one job per window: the ratio's interval knows it."""
    pairs = _pairs(celery, taskiq)
    return stats.paired_ratio(
        [t.throughput for t, _ in pairs], [c.throughput for _, c in pairs],
        counts=[(t.completed, c.completed) for t, c in pairs],
    )  # fmt: skip


def system_cpu(c: CellResult) -> float | None:
    """CPU per job of workers, API, RabbitMQ and Postgres together; None unless the harness
    saw every one of them (an external run may not see the broker's or database's host)."""
    parts = [c.cpu_ms_per_job.get(k) for k in COST_COMPONENTS]
    known = [p for p in parts if p is not None]
    return sum(known) if len(known) == len(parts) else None


def _usable(c: CellResult) -> bool:
    return c.valid and steady(c)


def comparisons(cells: list[CellResult]) -> list[Comparison]:
    by = _by_key(cells)
    out = []
    for key, taskiq in sorted(by.items(), key=_order):
        purpose, scenario, model, load, variant, prefetch, rtt, against = key
        if variant != "taskiq" or purpose not in (Purpose.main, Purpose.network):
            continue
        for mode in MODES:
            if against not in (None, mode.celery):
                continue
            paired = "taskiq" if against else None
            celery = by.get((purpose, scenario, model, load, mode.celery, prefetch, rtt, paired))
            if not celery:
                continue
            latency = model == Model.latency
            out.append(
                Comparison(
                    scenario=scenario,
                    model=model,
                    load=load,
                    mode=mode.key,
                    celery=mode.celery,
                    rtt_ms=rtt,
                    throughput_ratio=throughput_ratio(celery, taskiq),
                    e2e_p50_ratio=paired_ratio(celery, taskiq, lambda c: c.e2e_ms.p50),
                    worker_cpu_ratio=paired_ratio(
                        celery, taskiq, lambda c: c.cpu_ms_per_job.get("workers")
                    ),
                    system_cpu_ratio=paired_ratio(celery, taskiq, system_cpu),
                    share=taskiq[0].share,
                    e2e_p99_ratio=paired_ratio(celery, taskiq, lambda c: c.e2e_ms.p99, _usable)
                    if latency
                    else None,
                    queue_wait_p99_ratio=paired_ratio(
                        celery, taskiq, lambda c: c.queue_wait_ms.p99, _usable
                    )
                    if latency
                    else None,
                )
            )
    return out


def overheads(cells: list[CellResult]) -> list[Overhead]:
    """Each service worker / its minimal reference, per scenario's drains, paired by rep."""
    by = _by_key(c for c in cells if c.purpose == Purpose.main and c.model == Model.drain)
    out = []
    for key, reference in sorted(by.items(), key=_order):
        for variant, minimal in MINIMAL.items():
            mine = by.get((*key[:4], variant, *key[5:]))
            if key[4] != minimal or not mine:
                continue
            out.append(Overhead(
                scenario=key[1], variant=variant, reference=minimal,
                throughput_ratio=throughput_ratio(reference, mine),
                worker_cpu_ratio=paired_ratio(
                    reference, mine, lambda c: c.cpu_ms_per_job.get("workers")),
            ))  # fmt: skip
    return out


def calibration(cells: list[CellResult]) -> list[Calibration]:
    """Instrumented / bare drain throughput, paired by repetition, per backend."""
    runs = [c for c in cells if c.purpose == Purpose.calibration]
    out = []
    for backend in sorted({c.backend for c in runs}):
        bare = [c for c in runs if c.backend == backend and c.bare]
        used = [c for c in runs if c.backend == backend and not c.bare]
        by_rep = {c.rep: c for c in bare}
        pairs = [(u.throughput, by_rep[u.rep].throughput) for u in used if u.rep in by_rep]
        out.append(
            Calibration(
                scenario=runs[0].scenario,
                backend=backend,
                bare=stats.median_interval([c.throughput for c in bare]),
                instrumented=stats.median_interval([c.throughput for c in used]),
                ratio=stats.paired_ratio([a for a, _ in pairs], [b for _, b in pairs]),
            )
        )
    return out


def distance(cells: list[CellResult]) -> list[DistanceEffect]:
    """Each variant's network drains against its own 0 ms control, paired by repetition."""
    by = _by_key(c for c in cells if c.purpose == Purpose.network)
    out = []
    for key, at in sorted(by.items(), key=_order):
        rtt = key[6]
        control = by.get((*key[:6], 0.0, key[7]))
        if rtt is None or rtt == 0.0 or not control:
            continue
        out.append(
            DistanceEffect(scenario=key[1], variant=key[4], rtt_ms=rtt,
                           ratio=throughput_ratio(control, at))
        )  # fmt: skip
    return out

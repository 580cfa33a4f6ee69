"""The tune's figures (bench/run/tune.py): per job, each backend's winner (the highest median
drain rate over the confirming repetitions) against its runner-up, and winner against winner,
paired by repetition like any two variants."""

import statistics
from collections import defaultdict

from bench.analyse.grouping import paired_ratio, system_cpu, throughput_ratio
from bench.spec.models import Model, Purpose
from bench.summary import CellResult, Comparison, Tuned
from core.contract import Backend

BEST = "best"  # the comparisons' mode: each backend at its best configuration


def _confirmed(
    cells: list[CellResult], scenario: str, backend: Backend
) -> dict[str, list[CellResult]]:
    """The backend's configurations confirmed for the scenario (reps 1...), by label."""
    out: dict[str, list[CellResult]] = defaultdict(list)
    for c in cells:
        if (c.purpose == Purpose.tune and c.model == Model.drain and c.rep >= 1 and c.valid
                and c.scenario == scenario and c.backend == backend):  # fmt: skip
            out[c.variant].append(c)
    return out


def _ranked(cells: list[CellResult], scenario: str, backend: Backend) -> list[list[CellResult]]:
    confirmed = _confirmed(cells, scenario, backend)
    return sorted(
        confirmed.values(),
        key=lambda reps: statistics.median(c.throughput for c in reps),
        reverse=True,
    )


def _scenarios(cells: list[CellResult]) -> list[str]:
    return list(dict.fromkeys(c.scenario for c in cells if c.purpose == Purpose.tune))


def winners(cells: list[CellResult]) -> list[Tuned]:
    out = []
    for scenario in _scenarios(cells):
        for backend in Backend:
            ranked = _ranked(cells, scenario, backend)
            if not ranked:
                continue
            tried = {c.variant for c in cells if c.purpose == Purpose.tune and c.rep == 0
                     and c.scenario == scenario and c.backend == backend}  # fmt: skip
            winner, runner = ranked[0], ranked[1] if len(ranked) > 1 else []
            out.append(Tuned(
                scenario=scenario, backend=backend, winner=winner[0].variant,
                runner_up=runner[0].variant if runner else None,
                over_runner_up=throughput_ratio(runner, winner), tried=len(tried),
            ))  # fmt: skip
    return out


def best(cells: list[CellResult]) -> list[Comparison]:
    """Taskiq's winner / Celery's winner of each job: jobs/s, CPU per job, e2e p50."""
    out = []
    for scenario in _scenarios(cells):
        celery, taskiq = (_ranked(cells, scenario, b) for b in (Backend.celery, Backend.taskiq))
        if not (celery and taskiq):
            continue
        c, t = celery[0], taskiq[0]
        out.append(Comparison(
            scenario=scenario, model=Model.drain, load=0.0, mode=BEST, celery=c[0].variant,
            throughput_ratio=throughput_ratio(c, t),
            e2e_p50_ratio=paired_ratio(c, t, lambda x: x.e2e_ms.p50),
            worker_cpu_ratio=paired_ratio(c, t, lambda x: x.cpu_ms_per_job.get("workers")),
            system_cpu_ratio=paired_ratio(c, t, system_cpu),
        ))  # fmt: skip
    return out

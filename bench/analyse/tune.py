"""The tune's figures (bench/run/tune.py): per job, each backend's winner (the configuration
that drained head to head: the runner decided it once) against its runner-up over the
confirming repetitions, and winner against winner over all their repetitions, paired by
repetition like any two variants."""

from collections import defaultdict

from bench.analyse.grouping import paired_ratio, system_cpu, throughput_ratio
from bench.spec.models import Model, Purpose
from bench.spec.tune import Stage, ranked
from bench.summary import CellResult, Comparison, Tuned
from core.contract import Backend

BEST = "best"  # the comparisons' mode: each backend at its best configuration
ByLabel = dict[str, list[CellResult]]


def stage_of(c: CellResult) -> Stage:
    assert c.stage is not None  # staged() fills it in
    return Stage(c.stage)


def staged(cells: list[CellResult]) -> list[CellResult]:
    """The cells with their stages. A tune recorded before its cells named their stage (the
    first runs of raw version 5): rep 0 is coarse, latency is latency, and a repetition only
    each backend's winner drained (one configuration per backend) is final."""
    tune = [c for c in cells if c.purpose == Purpose.tune and c.model == Model.drain]
    ran: dict[tuple[str, int], set[str]] = defaultdict(set)
    for c in tune:
        ran[(c.scenario, c.rep)].add(c.variant)

    def stage(c: CellResult) -> Stage:
        if c.model == Model.latency:
            return Stage.latency
        if c.rep == 0:
            return Stage.coarse
        return Stage.final if len(ran[(c.scenario, c.rep)]) <= len(Backend) else Stage.confirm

    return [c if c.stage or c.purpose != Purpose.tune else c.model_copy(update={"stage": stage(c)})
            for c in cells]  # fmt: skip


def _drains(cells: list[CellResult], scenario: str, backend: Backend, *stages: Stage) -> ByLabel:
    out: ByLabel = defaultdict(list)
    for c in cells:
        if (c.purpose == Purpose.tune and c.model == Model.drain and c.valid
                and c.scenario == scenario and c.backend == backend
                and stage_of(c) in stages):  # fmt: skip
            out[c.variant].append(c)
    return out


def _scenarios(cells: list[CellResult]) -> list[str]:
    return list(dict.fromkeys(c.scenario for c in cells if c.purpose == Purpose.tune))


def winner(cells: list[CellResult], scenario: str, backend: Backend) -> str | None:
    """The configuration that drained head to head; without that stage, the leader of the
    confirming pass (the rule the runner decides by: bench.spec.tune.ranked)."""
    final = _drains(cells, scenario, backend, Stage.final)
    if final:
        return next(iter(final))
    confirmed = _drains(cells, scenario, backend, Stage.confirm)
    order = ranked({k: [c.throughput for c in v] for k, v in confirmed.items()})
    return order[0] if order else None


def winners(cells: list[CellResult]) -> list[Tuned]:
    cells, out = staged(cells), []
    for scenario in _scenarios(cells):
        for backend in Backend:
            won = winner(cells, scenario, backend)
            if won is None:
                continue
            confirmed = _drains(cells, scenario, backend, Stage.confirm)
            others = ranked(
                {k: [c.throughput for c in v] for k, v in confirmed.items() if k != won}
            )
            runner = confirmed[others[0]] if others else []
            tried = _drains(cells, scenario, backend, Stage.coarse)
            out.append(Tuned(
                scenario=scenario, backend=backend, winner=won,
                runner_up=others[0] if others else None,
                over_runner_up=throughput_ratio(runner, confirmed.get(won, [])), tried=len(tried),
            ))  # fmt: skip
    return out


def best(cells: list[CellResult]) -> list[Comparison]:
    """Taskiq's winner / Celery's winner of each job, over all their repetitions after the
    coarse pass: jobs/s, CPU per job, e2e p50."""
    cells, out = staged(cells), []
    for scenario in _scenarios(cells):
        won = {b: winner(cells, scenario, b) for b in Backend}
        if won[Backend.celery] is None or won[Backend.taskiq] is None:
            continue
        c, t = (_drains(cells, scenario, b, Stage.confirm, Stage.final)[won[b] or ""]
                for b in (Backend.celery, Backend.taskiq))  # fmt: skip
        out.append(Comparison(
            scenario=scenario, model=Model.drain, load=0.0, mode=BEST,
            celery=won[Backend.celery] or "",
            throughput_ratio=throughput_ratio(c, t),
            e2e_p50_ratio=paired_ratio(c, t, lambda x: x.e2e_ms.p50),
            worker_cpu_ratio=paired_ratio(c, t, lambda x: x.cpu_ms_per_job.get("workers")),
            system_cpu_ratio=paired_ratio(c, t, system_cpu),
        ))  # fmt: skip
    return out

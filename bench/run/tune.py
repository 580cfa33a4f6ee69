"""A tune's stages after its coarse pass (bench/run/plan.py tune_plan), each planned from the
rates the stages before it measured, in the same session:
2. confirm: each backend's best `top` configurations of each job (by their coarse drain)
   drain `reps` more times; a repetition drains each once, in an order that flips every
   repetition (reps 1, 2, ...), so winner and runner-up pair like any two variants;
3. final: each backend's winner (the highest median confirmed rate, decided here once: the
   analysis names the configurations that ran this stage) against the other's,
   `final_reps` more repetitions (reps after the confirming ones), back to back in an order
   that flips, so best against best pairs over enough repetitions to settle;
4. latency: each winner at LATENCY_SHARE of its own median rate, Poisson arrivals through
   the API."""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator

from bench.raw import Cell
from bench.run.plan import Plan, balanced
from bench.spec.models import Model
from bench.spec.profiles import Profile
from bench.spec.tune import LATENCY_SHARE, Config, Stage, ranked, take_turns
from core.contract import Backend

Rates = dict[int, float]  # each drain's jobs/s, by cell index


def config_of(cell: Cell) -> Config:
    assert cell.processes and cell.slots and cell.prefetch  # every tune cell sets them
    return Config(cell.variant, cell.processes, cell.slots, cell.prefetch)


def rates_by_config(cells: Iterable[Cell], rates: Rates) -> dict[Config, list[float]]:
    out: dict[Config, list[float]] = defaultdict(list)
    for c in cells:
        if c.index in rates:
            out[config_of(c)].append(rates[c.index])
    return out


def leaders(scenario: str, cells: list[Cell], rates: Rates, n: int) -> list[Config]:
    """Each backend's best n configurations of a scenario (bench.spec.tune.ranked), the
    backends taking turns (Celery's best, Taskiq's best, Celery's second, ...)."""
    best = []
    for backend in Backend:
        mine = [c for c in cells if c.scenario == scenario and c.backend is backend]
        best.append(ranked(rates_by_config(mine, rates))[:n])
    return take_turns(best)


def confirm(profile: Profile, done: list[Cell], rates: Rates) -> list[Cell]:
    p = Plan(first=done[-1].index + 1)
    chosen = {s: leaders(s, done, rates, profile.top) for s in profile.scenarios}
    for rep in range(1, profile.reps + 1):
        for scenario in profile.scenarios:
            for config in balanced(chosen[scenario], rep):
                p.add_config(config, scenario, rep, stage=Stage.confirm)
    return p.cells


def winners(profile: Profile, confirmed: list[Cell], rates: Rates) -> dict[str, list[Config]]:
    """Each backend's winner per scenario, decided once: the leader of the confirming pass."""
    return {s: leaders(s, confirmed, rates, 1) for s in profile.scenarios}


def final(profile: Profile, won: dict[str, list[Config]], first: int) -> list[Cell]:
    p = Plan(first=first)
    for rep in range(profile.reps + 1, profile.reps + 1 + profile.final_reps):
        for scenario in profile.scenarios:
            for config in balanced(won[scenario], rep):
                p.add_config(config, scenario, rep, stage=Stage.final)
    return p.cells


def latency(profile: Profile, won: dict[str, list[Config]], done: list[Cell],
            rates: Rates) -> list[Cell]:  # fmt: skip
    """Each winner at LATENCY_SHARE of its median rate over `done` (confirming and final)."""
    p = Plan(first=done[-1].index + 1)
    measured = rates_by_config(done, rates)
    for scenario in profile.scenarios:
        for config in won[scenario]:
            load = round(LATENCY_SHARE * statistics.median(measured[config]), 1)
            p.add_config(config, scenario, 1, Model.latency, load, LATENCY_SHARE,
                         stage=Stage.latency)  # fmt: skip
    return p.cells


def stages(profile: Profile, coarse: list[Cell], rates: Rates) -> Iterator[list[Cell]]:
    """The stages after the coarse pass (none unless a tune): each is planned when asked
    for, so from the rates (filled in as cells run) of the ones before it."""
    if not (profile.tune and coarse):
        return
    confirmed = confirm(profile, coarse, rates)
    yield confirmed
    won = winners(profile, confirmed, rates)
    last = final(profile, won, confirmed[-1].index + 1)
    yield last
    if Model.latency in profile.models:
        yield latency(profile, won, [*confirmed, *last], rates)

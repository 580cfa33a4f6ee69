"""The cells of a run, in the order they run.

One cell = one variant x scenario x model x load x repetition. Within a repetition
the variants of a scenario alternate, and their order flips every repetition (A B C,
C B A, ...), so slow drift of the host falls on every variant alike.
"""

from collections.abc import Sequence
from typing import TypeVar

from bench.raw import Cell
from bench.spec.faults import FAULT_SCENARIO
from bench.spec.models import Model, Purpose
from bench.spec.profiles import Profile
from bench.spec.scenarios import (
    ENQUEUE_RATES,
    ENQUEUE_SCENARIO,
    NETWORK_SCENARIOS,
    SCENARIOS,
)
from bench.spec.tune import Config, Stage
from bench.spec.variants import API_VARIANTS, BY_NAME, MODES, backend_of

CALIBRATION_SCENARIO = "price_order"
CALIBRATION_REPS = 3
CALIBRATION_VARIANTS = ("taskiq",)  # the observer's cost is the harness's, whatever it drains
SWEEP_SCENARIO = "noop"
SWEEP_VARIANTS = ("celery", "taskiq")
PRODUCTION_APIS = ("celery", "taskiq")  # the API as deployed, publishing for each backend
_T = TypeVar("_T")


def balanced(items: Sequence[_T], rep: int) -> list[_T]:
    return list(items) if rep % 2 == 0 else list(reversed(items))


def loads(profile: Profile, scenario: str, model: Model) -> tuple[float, ...]:
    match model:
        case Model.drain:
            return (0.0,)  # the backlog is sized at run time, from the rates seen so far
        case Model.closed:
            return tuple(map(float, profile.users)) or (float(SCENARIOS[scenario].closed_users),)
        case Model.enqueue:
            return (16.0,)
        case Model.enqueue_rate:
            return ENQUEUE_RATES
    return profile.rates or SCENARIOS[scenario].open_rates


def mode_pairs(variants: Sequence[str]) -> list[str]:
    """The Celery variant of each fairness mode whose pair is in the profile."""
    return [m.celery for m in MODES if {m.celery, "taskiq"} <= set(variants)]


class Plan:
    def __init__(self, first: int = 0) -> None:
        self.first = first  # the index of its first cell: a tune's later stages follow on
        self.cells: list[Cell] = []

    def add(self, variant: str, scenario: str, model: Model, load: float, rep: int = 0,
            **extra: object) -> None:  # fmt: skip
        fields = {"variant": variant, "scenario": scenario, "model": model, "load": load}
        self.cells.append(Cell(index=self.first + len(self.cells), rep=rep, **fields, **extra))

    def add_config(self, config: Config, scenario: str, rep: int, model: Model = Model.drain,
                   load: float = 0.0, share: float | None = None, purpose: Purpose = Purpose.tune,
                   stage: Stage | None = None) -> None:  # fmt: skip
        """A cell of the configuration's own worker sizes (a tune's, a scaling's)."""
        sizes = {"processes": config.processes, "slots": config.slots}
        self.add(config.variant, scenario, model, load, rep, purpose=purpose, share=share,
                 prefetch=config.prefetch, stage=stage, **sizes)  # fmt: skip


def tune_plan(profile: Profile) -> list[Cell]:
    """A tune's first stage, its coarse pass: every configuration drains each job once
    (bench/run/tune.py plans the stages after it from what this one measured)."""
    p = Plan()
    for n, scenario in enumerate(profile.scenarios):
        for config in balanced(profile.configs, n):
            p.add_config(config, scenario, 0, stage=Stage.coarse)
    return p.cells


def scale_plan(profile: Profile) -> list[Cell]:
    """Each configuration drained `reps` times, a repetition draining each once in an order
    that flips every repetition; then the API's enqueue at each number of its processes."""
    p = Plan()
    for rep in range(profile.reps):
        for scenario in profile.scenarios:
            for config in balanced(profile.configs, rep):
                p.add_config(config, scenario, rep, purpose=Purpose.scale)
    backends = {backend_of(v) for v in profile.variants}
    apis = [a for a in PRODUCTION_APIS if backend_of(a) in backends]
    for rep in range(profile.reps if Model.enqueue in profile.models else 0):
        for workers in balanced(profile.api_workers, rep):
            for api in balanced(apis, rep):
                p.add(api, ENQUEUE_SCENARIO, Model.enqueue, 16.0, rep, purpose=Purpose.scale,
                      api_workers=workers)  # fmt: skip
    return p.cells


def plan(profile: Profile) -> list[Cell]:
    if profile.space:
        return tune_plan(profile) if profile.search else scale_plan(profile)
    p = Plan()
    if profile.jobcost:
        for scenario in profile.scenarios:
            p.add("in-process", scenario, Model.jobcost, 0.0)  # bench/run/loads/jobcost.py LOADS
    if profile.calibrate:
        pairs = [(v, bare) for v in CALIBRATION_VARIANTS for bare in (True, False)]
        for rep in range(CALIBRATION_REPS):
            for variant, bare in balanced(pairs, rep):
                p.add(variant, CALIBRATION_SCENARIO, Model.drain, 0.0, rep,
                      purpose=Purpose.calibration, bare=bare)  # fmt: skip
    models: list[Model] = [m for m in profile.models if not (m.producer or m is Model.latency)]
    producer = [m for m in profile.models if m.producer]
    for rep in range(profile.reps):
        for scenario in profile.scenarios if models else ():
            # One variant's models back to back: its workers, started for the drain,
            # serve its closed and open cells too.
            for variant in balanced(profile.variants, rep):
                for model in models:
                    for load in loads(profile, scenario, model):
                        p.add(variant, scenario, model, load, rep)
        for model in producer:  # no workers: what publishing costs the API
            for load in loads(profile, ENQUEUE_SCENARIO, model):
                for api in balanced([v.name for v in API_VARIANTS], rep):
                    p.add(api, ENQUEUE_SCENARIO, model, load, rep, purpose=Purpose.enqueue)
    latency_reps = profile.latency_reps or profile.reps
    for rep in range(latency_reps if Model.latency in profile.models else 0):
        latency = profile.latency_scenarios
        for scenario in [s for s in profile.scenarios if latency is None or s in latency]:
            # after every drain: their rates set the load; a pair's two cells back to back,
            # in an order that flips with each share, so one variant's runs two in a row
            for celery in balanced(mode_pairs(profile.variants), rep):
                for n, share in enumerate(balanced(profile.shares, rep)):
                    for variant in balanced((celery, "taskiq"), n + rep):
                        against = "taskiq" if variant == celery else celery
                        p.add(variant, scenario, Model.latency, 0.0, rep, share=share,
                              against=against)  # fmt: skip
    for rep in range(min(profile.reps, 3) if profile.prefetch_sweep else 0):
        for prefetch in profile.prefetch_sweep:
            for variant in balanced(SWEEP_VARIANTS, rep):
                p.add(variant, SWEEP_SCENARIO, Model.drain, 0.0, rep, prefetch=prefetch,
                      purpose=Purpose.sweep)  # fmt: skip
    recommended = [v for v in profile.variants if BY_NAME[v].recommended]
    network = [s for s in profile.scenarios if s in NETWORK_SCENARIOS]
    for rep in range(profile.reps if profile.rtts else 0):
        for scenario in network:  # at one distance, the variants back to back: paired there
            for rtt in balanced(profile.rtts, rep):
                for variant in balanced(recommended, rep):
                    p.add(variant, scenario, Model.drain, 0.0, rep, rtt_ms=rtt,
                          purpose=Purpose.network)  # fmt: skip
    # Faults test the patterns to copy: Celery's recommended bridge on each pool, and Taskiq.
    for fault in profile.faults:
        for variant in recommended or profile.variants:
            p.add(variant, FAULT_SCENARIO, Model.fault, profile.fault_rate, fault=fault,
                  purpose=Purpose.fault)  # fmt: skip
    return p.cells

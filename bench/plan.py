"""The cells of a run, in the order they run.

One cell = one variant x scenario x model x load x repetition. Within a repetition
the variants of a scenario alternate, and their order flips every repetition (A B C,
C B A, ...), so slow drift of the host falls on every variant alike.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from bench.profiles import Profile
from bench.scenarios import (
    ENQUEUE_RATES,
    ENQUEUE_SCENARIO,
    ENQUEUE_VARIANTS,
    FAULT_SCENARIO,
    SCENARIOS,
    backend_of,
)
from core.contract import Backend

CALIBRATION_SCENARIO = "price_order"
CALIBRATION_REPS = 3
CALIBRATION_VARIANTS = ("taskiq",)  # the observer's cost is the harness's, whatever it drains
SWEEP_SCENARIO = "noop"
SWEEP_VARIANTS = ("celery", "taskiq")
JOBCOST_LOADS = (1.0, 16.0)  # jobs in flight in one process
_T = TypeVar("_T")


@dataclass(frozen=True)
class Cell:
    index: int
    variant: str
    scenario: str
    model: str  # drain | closed | open | enqueue | enqueue-rate | fault | jobcost
    # users (closed, enqueue), jobs/s (open, enqueue-rate, fault); drain: 0 (its
    # backlog is sized at run time); jobcost: 0 (every JOBCOST_LOADS level)
    load: float
    rep: int
    fault: str | None = None
    prefetch: int | None = None  # messages reserved per worker process; None: the default
    purpose: str = "main"  # main | calibration | sweep (prefetch) | enqueue | fault
    bare: bool = False  # calibration: the harness's own instrumentation at its minimum

    @property
    def backend(self) -> Backend:
        return backend_of(self.variant)


def balanced(items: Sequence[_T], rep: int) -> list[_T]:
    return list(items) if rep % 2 == 0 else list(reversed(items))


def loads(profile: Profile, scenario: str, model: str) -> tuple[float, ...]:
    if model == "drain":
        return (0.0,)  # the backlog is sized at run time, from the rates seen so far
    if model == "closed":
        return tuple(map(float, profile.users)) or (float(SCENARIOS[scenario].closed_users),)
    if model == "enqueue":
        return (16.0,)
    if model == "enqueue-rate":
        return ENQUEUE_RATES
    return profile.rates or SCENARIOS[scenario].open_rates


def plan(profile: Profile) -> list[Cell]:
    cells: list[Cell] = []

    def add(
        variant: str, scenario: str, model: str, load: float, rep: int = 0, **extra: object
    ) -> None:
        cells.append(Cell(len(cells), variant, scenario, model, load, rep, **extra))  # type: ignore[arg-type]

    if profile.jobcost:
        for scenario in profile.scenarios:
            add("in-process", scenario, "jobcost", 0.0)  # every JOBCOST_LOADS level
    if profile.calibrate:
        pairs = [(v, bare) for v in CALIBRATION_VARIANTS for bare in (True, False)]
        for rep in range(CALIBRATION_REPS):
            for variant, bare in balanced(pairs, rep):
                add(
                    variant,
                    CALIBRATION_SCENARIO,
                    "drain",
                    0.0,
                    rep,
                    purpose="calibration",
                    bare=bare,
                )
    models = [m for m in profile.models if not m.startswith("enqueue")]
    producer = [m for m in profile.models if m.startswith("enqueue")]
    for rep in range(profile.reps):
        for scenario in profile.scenarios if models else ():
            # One variant's models back to back: its workers, started for the drain,
            # serve its closed and open cells too.
            for variant in balanced(profile.variants, rep):
                for model in models:
                    for load in loads(profile, scenario, model):
                        add(variant, scenario, model, load, rep)
        for model in producer:  # no workers: what publishing costs the API
            for load in loads(profile, ENQUEUE_SCENARIO, model):
                for variant in balanced(ENQUEUE_VARIANTS, rep):
                    add(variant, ENQUEUE_SCENARIO, model, load, rep, purpose="enqueue")
    for rep in range(min(profile.reps, 3) if profile.prefetch_sweep else 0):
        for prefetch in profile.prefetch_sweep:
            for variant in balanced(SWEEP_VARIANTS, rep):
                add(variant, SWEEP_SCENARIO, "drain", 0.0, rep, prefetch=prefetch, purpose="sweep")
    # Faults test the patterns to copy: Celery's recommended bridge on each pool, and Taskiq.
    fault_variants = [v for v in profile.variants if v in ("celery", "celery-threads", "taskiq")]
    for fault in profile.faults:
        for variant in fault_variants or profile.variants:
            add(variant, FAULT_SCENARIO, "fault", profile.fault_rate, fault=fault, purpose="fault")
    return cells

"""The tune's search space as data: the worker configurations an expert of each backend would
try, per pool, and how they are named in a run's figures.

A configuration is processes x slots per process, and the messages each process reserves:
- Celery prefork: slots 1 (a task per child); prefetch = Celery's prefetch multiplier (1 is
  Celery's advice for long tasks, 4 its default);
- Celery threads (gevent): slots = threads (greenlets) per worker; prefetch = threads x
  multiplier;
- Taskiq: slots = --max-async-tasks (taskiq's default is 100); prefetch = the consumer's qos.
"""

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain, zip_longest
from typing import TypeVar

SEPARATOR = "@"
K = TypeVar("K")


class Stage(StrEnum):
    """A tune's stages, in order (bench/run/tune.py)."""

    coarse = "coarse"  # every configuration, one drain each
    confirm = "confirm"  # each backend's best few, interleaved repetitions
    final = "final"  # the winners, head to head
    latency = "latency"  # the winners at a share of their own rate


def ranked(rates: Mapping[K, Sequence[float]]) -> list[K]:
    """Highest median first: the one rule the runner and the analysis rank by."""
    return sorted(
        rates, key=lambda k: statistics.median(rates[k]), reverse=True
    )  # "celery-threads@2x32 q32": the variant, then its configuration


@dataclass(frozen=True, order=True)
class Config:
    variant: str
    processes: int
    slots: int
    prefetch: int

    @property
    def label(self) -> str:
        return f"{self.variant}{SEPARATOR}{self.processes}x{self.slots} q{self.prefetch}"


def parse(label: str) -> Config:
    """'taskiq@2x32 q64' -> Config('taskiq', 2, 32, 64); ValueError when it is not one."""
    variant, at, sizes = label.strip().partition(SEPARATOR)
    shape, _, reserve = sizes.partition(" q")
    processes, _, slots = shape.partition("x")
    if not (at and variant and processes.isdigit() and slots.isdigit() and reserve.isdigit()):
        raise ValueError(f"{label!r} is not variant@PROCESSESxSLOTS qPREFETCH")
    config = Config(variant, int(processes), int(slots), int(reserve))
    if min(config.processes, config.slots, config.prefetch) < 1:
        raise ValueError(f"{label!r}: processes, slots and prefetch must be at least 1")
    return config


def base_variant(name: str) -> str:
    """'celery-threads@2x32 q32' -> 'celery-threads'; a plain variant name stays as it is."""
    return name.partition(SEPARATOR)[0]


def _prefork(processes: tuple[int, ...], multipliers: tuple[int, ...]) -> list[Config]:
    return [Config("celery", p, 1, m) for p in processes for m in multipliers]


def _loop_pool(variant: str, processes: tuple[int, ...], slots: tuple[int, ...]) -> list[Config]:
    return [Config(variant, p, s, s) for p in processes for s in slots]


# Two cores here: past 8 prefork children or 4 processes of a loop pool, each process only
# adds memory and context switches (the coarse pass shows where each stops growing).
SPACE: dict[str, tuple[Config, ...]] = {
    "celery": tuple(_prefork((2, 4, 8), (1, 4))),
    "celery-threads": tuple(_loop_pool("celery-threads", (1, 2, 4), (32, 64))),
    # not in the tune profile's variants (it does not come back after a silent connection):
    # `--variants celery,celery-threads,celery-gevent,taskiq` searches it too
    "celery-gevent": tuple(_loop_pool("celery-gevent", (1, 2), (64, 100))),
    "taskiq": (
        *_loop_pool("taskiq", (1, 2, 4), (32, 100)),
        Config("taskiq", 2, 32, 64),  # qos above the slots: a buffer of messages in hand
        Config("taskiq", 2, 100, 200),
    ),
}


def take_turns(lists: Iterable[Sequence[K]]) -> list[K]:
    """The first of each list, then the second of each, ...: no list all at one end."""
    return [x for x in chain.from_iterable(zip_longest(*lists)) if x is not None]


def interleaved(variants: Iterable[str]) -> tuple[Config, ...]:
    """The space of these variants, taking turns, so that no backend's configurations all
    run at one end of a pass."""
    return tuple(take_turns(SPACE[v] for v in variants if v in SPACE))


# Scaling: each pool at its best slots in the tune (docs/results/2026-12-08-tune), from one
# worker process to four per core here.
SCALE_PROCESSES = (1, 2, 4, 8)
SCALE: tuple[Config, ...] = tuple(
    c
    for p in SCALE_PROCESSES
    for c in (Config("celery", p, 1, 4), Config("celery-threads", p, 32, 32),
              Config("taskiq", p, 32, 32))
)  # fmt: skip
SCALE_API_WORKERS = (1, 2, 4)  # the API's enqueue at this many uvicorn processes
TOP = 3  # per backend and job, the coarse pass's best this many are confirmed
LATENCY_SHARE = 0.5  # each winner's latency at this share of its own median drain rate

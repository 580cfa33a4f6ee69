"""The tune's search space as data: the worker configurations an expert of each backend would
try, per pool, and how they are named in a run's figures.

A configuration is processes x slots per process, and the messages each process reserves:
- Celery prefork: slots 1 (a task per child); prefetch = Celery's prefetch multiplier (1 is
  Celery's advice for long tasks, 4 its default);
- Celery threads (gevent): slots = threads (greenlets) per worker; prefetch = threads x
  multiplier;
- Taskiq: slots = --max-async-tasks (taskiq's default is 100); prefetch = the consumer's qos.
"""

from dataclasses import dataclass

SEPARATOR = "@"  # "celery-threads@2x32 q32": the variant, then its configuration


@dataclass(frozen=True, order=True)
class Config:
    variant: str
    processes: int
    slots: int
    prefetch: int

    @property
    def label(self) -> str:
        return f"{self.variant}{SEPARATOR}{self.processes}x{self.slots} q{self.prefetch}"


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
    "celery-gevent": tuple(_loop_pool("celery-gevent", (1, 2), (64, 100))),
    "taskiq": (
        *_loop_pool("taskiq", (1, 2, 4), (32, 100)),
        Config("taskiq", 2, 32, 64),  # qos above the slots: a buffer of messages in hand
        Config("taskiq", 2, 100, 200),
    ),
}
TOP = 3  # per backend and job, the coarse pass's best this many are confirmed
LATENCY_SHARE = 0.5  # each winner's latency at this share of its own median drain rate

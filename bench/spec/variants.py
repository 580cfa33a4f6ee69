"""Every variant the harness knows, in one place: which backend, which Celery app and pool,
which API app, whether users should copy it, its display order and colour, and the fairness
modes that pair them. Workers start through the deployed entry points (`python -m
workers_celery`, `python -m workers_taskiq`: bench/run/commands.py)."""

from dataclasses import dataclass
from enum import StrEnum

from bench.spec.tune import base_variant
from core.contract import Backend


class Pool(StrEnum):
    prefork = "prefork"  # Celery: one task per child process
    threads = "threads"  # Celery: one process, many threads, one event loop
    gevent = "gevent"  # Celery: one process, many greenlets, one event loop (in a greenlet)
    asyncio = "asyncio"  # Taskiq: coroutines


@dataclass(frozen=True)
class Variant:
    """A worker profile: the library, the app that runs the tasks, and its pool."""

    name: str
    backend: Backend
    app: str  # Celery: the -A app; Taskiq: the broker
    pool: Pool
    colour: str
    recommended: bool  # what users should copy (the others we only measure)
    note: str

    @property
    def prefork(self) -> bool:
        """One job per child process; the parent consumes for them all."""
        return self.pool is Pool.prefork

    @property
    def one_process(self) -> bool:
        """A Celery worker of one process running many tasks on one loop: the benchmark
        starts one such worker per worker process (threads, gevent)."""
        return self.pool in (Pool.threads, Pool.gevent)


# The service's Celery app and Taskiq broker with the benchmark's tasks (bench_service/).
CELERY_APP = "bench_service.celery_worker"
TASKIQ_BROKER = "workers_taskiq.broker:broker"
TASKIQ_TASKS = "bench_service.taskiq_worker"
BRIDGES_AT = "bench_service.celery_variants"  # the loop bridges we only measure
MINIMAL_TASKIQ = "bench_service.minimal_taskiq:broker"
VARIANTS: tuple[Variant, ...] = (
    Variant("celery", Backend.celery, CELERY_APP, Pool.prefork, "#1f77b4", True,
            "the loop bridge (workers_celery/bridge.py), prefork"),
    Variant("celery-threads", Backend.celery, CELERY_APP, Pool.threads, "#17becf", True,
            "the loop bridge, threads pool"),
    Variant("taskiq", Backend.taskiq, TASKIQ_BROKER, Pool.asyncio, "#ff7f0e", True,
            "AioPikaBroker, WORKER_SLOTS coroutines per process"),
    Variant("taskiq-minimal", Backend.taskiq, MINIMAL_TASKIQ, Pool.asyncio, "#ffbb78", False,
            "a minimal Taskiq worker (bench_service/minimal_taskiq.py): the same broker and "
            "lifecycle, none of the service's additions; a probe of their cost"),
    Variant("celery-gevent", Backend.celery, CELERY_APP, Pool.gevent, "#8c6d31", False,
            "the loop bridge, gevent pool: the loop in a greenlet (no silent-connection recovery)"),
    Variant("celery-runner", Backend.celery, f"{BRIDGES_AT}.runner", Pool.prefork,
            "#2ca02c", False, "an asyncio.Runner in the task's own thread"),
    Variant("celery-loop_per_thread", Backend.celery, f"{BRIDGES_AT}.loop_per_thread",
            Pool.threads, "#bcbd22", False, "a loop and an engine per pool thread"),
    Variant("celery-naive", Backend.celery, f"{BRIDGES_AT}.naive", Pool.prefork,
            "#9467bd", False, "the classic get_event_loop() bridge"),
    Variant("celery-asyncio_run", Backend.celery, f"{BRIDGES_AT}.asyncio_run",
            Pool.prefork, "#8c564b", False, "asyncio.run per task, NullPool"),
)  # fmt: skip
BY_NAME = {v.name: v for v in VARIANTS}
NAMES = tuple(BY_NAME)


@dataclass(frozen=True)
class ApiVariant:
    """How the API publishes (the producer side, measured with no worker running)."""

    name: str
    backend: Backend
    app: str
    colour: str
    note: str


# The service's worker and a minimal one of the same library: the report prices the difference.
MINIMAL = {"taskiq": "taskiq-minimal"}

API_VARIANTS_AT = "bench_service.api_variants"
BENCH_API = "bench_service.api:app"  # api.main's app + the probes' routes and the fault hook
API_VARIANTS: tuple[ApiVariant, ...] = (
    ApiVariant("celery", Backend.celery, BENCH_API, "#1f77b4",
               "Celery's message, published through aio-pika (api/publishers/celery.py)"),
    ApiVariant("celery-in-thread", Backend.celery, f"{API_VARIANTS_AT}.celery_in_thread:app",
               "#e377c2",
               "Celery's send_task in worker threads"),
    ApiVariant("celery-on-loop", Backend.celery, f"{API_VARIANTS_AT}.celery_on_loop:app", "#d62728",
               "Celery's send_task on the event loop (the mistake)"),
    ApiVariant("taskiq", Backend.taskiq, BENCH_API, "#ff7f0e", "Taskiq's kiq()"),
)  # fmt: skip
API_BY_NAME = {v.name: v for v in API_VARIANTS}
SPARE_COLOURS = ("#7f7f7f", "#aec7e8", "#98df8a")


def in_flight(name: str, processes: int, slots: int) -> int:
    """Jobs a variant runs at once: processes x slots (prefork: one per child process)."""
    found = BY_NAME.get(base_variant(name))
    return processes * (1 if found and found.prefork else slots)


def colour(name: str) -> str:
    found = BY_NAME.get(base_variant(name)) or API_BY_NAME.get(name)
    return found.colour if found else SPARE_COLOURS[sum(map(ord, name)) % len(SPARE_COLOURS)]


def order_key(name: str) -> tuple[int, str]:
    """Display order: the Celery variants (recommended first, as registered), the API's
    Celery variants, then Taskiq; anything unknown last."""
    celery = [v for v in (*NAMES, *API_BY_NAME) if backend_of(v) is Backend.celery]
    order, base = [*dict.fromkeys(celery), "taskiq"], base_variant(name)
    return (order.index(base) if base in order else len(order)), name


def backend_of(name: str) -> Backend:
    """'celery-naive' -> celery; 'taskiq@2x32 q32' -> taskiq."""
    found = BY_NAME.get(base_variant(name)) or API_BY_NAME.get(name)
    return found.backend if found else Backend(name.partition("-")[0])


@dataclass(frozen=True)
class Mode:
    """A fairness mode: which Celery variant faces Taskiq, and on what terms."""

    key: str
    title: str
    celery: str
    terms: str
    colour: str


# Equal in-flight capacity first: it compares the libraries as experts deploy them; equal
# processes mostly measures prefork's one task per process (see README).
MODES = (
    Mode("in-flight", "equal in-flight capacity", "celery-threads",
         "tuned as experts run I/O-bound work: Celery's threads pool with as many threads per "
         "process as Taskiq has slots, one event loop and one DB pool per process for both",
         "#17becf"),
    Mode("processes", "equal processes", "celery",
         "the same worker processes and DB pool per process; Celery prefork runs one task per "
         "process, Taskiq WORKER_SLOTS coroutines per process",
         "#1f77b4"),
)  # fmt: skip

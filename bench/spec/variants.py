"""Every variant the harness knows, in one place: which backend, which Celery app and pool,
which API app, whether users should copy it, its display order and colour, the fairness
modes that pair them, and the command a user deploys it with (the Makefile and compose
are checked against it; the harness runs it with its measurement flags added)."""

from dataclasses import dataclass
from enum import StrEnum

from core.contract import Backend


class Pool(StrEnum):
    prefork = "prefork"  # Celery: one task per child process
    threads = "threads"  # Celery: one process, many threads, one event loop
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


CELERY_APP = "workers_celery"
TASKIQ_BROKER = "workers_taskiq.broker:broker"
VARIANTS: tuple[Variant, ...] = (
    Variant("celery", Backend.celery, CELERY_APP, Pool.prefork, "#1f77b4", True,
            "the loop bridge (workers_celery/bridge.py), prefork"),
    Variant("celery-threads", Backend.celery, CELERY_APP, Pool.threads, "#17becf", True,
            "the loop bridge, threads pool"),
    Variant("taskiq", Backend.taskiq, TASKIQ_BROKER, Pool.asyncio, "#ff7f0e", True,
            "AioPikaBroker, WORKER_SLOTS coroutines per process"),
    Variant("celery-runner", Backend.celery, "workers_celery.variants.runner", Pool.prefork,
            "#2ca02c", False, "an asyncio.Runner in the task's own thread"),
    Variant("celery-loop_per_thread", Backend.celery, "workers_celery.variants.loop_per_thread",
            Pool.threads, "#bcbd22", False, "a loop and an engine per pool thread"),
    Variant("celery-naive", Backend.celery, "workers_celery.variants.naive", Pool.prefork,
            "#9467bd", False, "the classic get_event_loop() bridge"),
    Variant("celery-asyncio_run", Backend.celery, "workers_celery.variants.asyncio_run",
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


BENCH_API = "api.benchmark:app"  # api.main's app + the probes' routes and the fault hook
API_VARIANTS: tuple[ApiVariant, ...] = (
    ApiVariant("celery", Backend.celery, BENCH_API, "#1f77b4",
               "Celery's message, published through aio-pika (api/publishers.py)"),
    ApiVariant("celery-in-thread", Backend.celery, "api.variants.celery_in_thread:app", "#e377c2",
               "Celery's send_task in worker threads"),
    ApiVariant("celery-on-loop", Backend.celery, "api.variants.celery_on_loop:app", "#d62728",
               "Celery's send_task on the event loop (the mistake)"),
    ApiVariant("taskiq", Backend.taskiq, BENCH_API, "#ff7f0e", "Taskiq's kiq()"),
)  # fmt: skip
API_BY_NAME = {v.name: v for v in API_VARIANTS}
SPARE_COLOURS = ("#7f7f7f", "#aec7e8", "#98df8a")


def colour(name: str) -> str:
    found = BY_NAME.get(name) or API_BY_NAME.get(name)
    return found.colour if found else SPARE_COLOURS[sum(map(ord, name)) % len(SPARE_COLOURS)]


def order_key(name: str) -> tuple[int, str]:
    """Display order: the Celery variants (recommended first, as registered), the API's
    Celery variants, then Taskiq; anything unknown last."""
    celery = [v for v in (*NAMES, *API_BY_NAME) if backend_of(v) is Backend.celery]
    order = [*dict.fromkeys(celery), "taskiq"]
    return (order.index(name) if name in order else len(order)), name


def backend_of(name: str) -> Backend:
    """'celery-naive' -> celery; 'taskiq' -> taskiq."""
    found = BY_NAME.get(name) or API_BY_NAME.get(name)
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


def deploy_command(variant: Variant, processes: str, slots: str) -> list[str]:
    """The command a user runs a recommended variant with (`make worker-*`, compose):
    `processes` and `slots` as the caller spells them ($(WORKERS), ${WORKER_PROCESSES})."""
    if variant.backend is Backend.taskiq:
        return [
            *("taskiq", "worker", variant.app, "workers_taskiq.tasks"),
            *("--workers", processes, "--max-async-tasks", slots, "--ack-type", "when_executed"),
        ]
    cmd = ["celery", "-A", variant.app, "worker", "--loglevel=INFO"]
    if variant.pool is Pool.threads:
        return [*cmd, "--pool=threads", f"--concurrency={slots}", "--prefetch-multiplier=1", "-E"]
    return [*cmd, f"--concurrency={processes}", "-E"]

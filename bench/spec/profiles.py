"""Profiles are data: a matrix of variants x scenarios x models, its repetitions and
timings, and the extra cells a run adds (job cost, calibration, prefetch sweep, faults)."""

from dataclasses import dataclass

from bench.spec.faults import NAMES as ALL_FAULTS
from bench.spec.models import Model
from bench.spec.scenarios import JOBS, PROBES
from bench.spec.tune import SCALE, SCALE_API_WORKERS, SPACE, TOP, Config, interleaved
from bench.spec.variants import NAMES as VARIANTS


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    variants: tuple[str, ...]
    scenarios: tuple[str, ...]
    models: tuple[Model, ...]
    reps: int = 1
    duration_s: float = 8.0  # measured load per closed/open/enqueue cell, after warm-up
    warmup_s: float = 2.0
    drain_window_s: float = 10.0  # steady completions measured per drain cell
    drain_ramp_s: float = 1.0  # skipped after the first completion of a drain
    users: tuple[int, ...] = ()  # closed-model users; empty: the scenario's default
    rates: tuple[float, ...] = ()  # open-model rates; empty: the scenario's defaults
    # latency cells: Poisson arrivals at these shares of the slower variant's drain rate (of
    # each fairness mode's pair, in this run), after every repetition's drains
    shares: tuple[float, ...] = (0.5, 0.8)
    latency_scenarios: tuple[str, ...] | None = None  # of the scenarios; None: all of them
    latency_reps: int | None = None  # None: reps
    faults: tuple[str, ...] = ()  # fault cells: fault_mix at fault_rate, one fault each
    fault_rate: float = 8.0  # jobs/s offered during a fault cell
    fault_duration_s: float = 15.0  # the fault strikes a third of the way in
    prefetch_sweep: tuple[int, ...] = ()  # noop drains per prefetch, Celery prefork + Taskiq
    jobcost: bool = False  # each scenario's job run in-process, no queue
    # Network cells: every scenario drained with the workers behind the delay proxy, at each
    # of these round-trip times (ms; 0 is the proxy with no delay, the control).
    rtts: tuple[float, ...] = ()
    calibrate: bool = False  # the harness's own overhead, against a bare drain
    smoke: bool = False  # says so in the report: too short for verdicts to mean much
    margin: float = 0.05  # of practical equivalence: no verdict inside 1 +/- margin
    # Worker configurations (bench/spec/tune.py) drained instead of the matrix. A search
    # (the tune): a coarse drain of each per scenario, then `reps` more of each backend's best
    # `top`, then each winner's latency (bench/run/tune.py). Else (scaling): each drained
    # `reps` times, interleaved, and the API's enqueue at each of `api_workers` processes.
    space: tuple[Config, ...] = ()
    search: bool = True
    top: int = TOP
    final_reps: int = 5  # a tune's winners, head to head, after the confirming repetitions
    api_workers: tuple[int, ...] = ()

    @property
    def configs(self) -> list[Config]:
        """The space's configurations of the profile's variants (--variants narrows it)."""
        return [c for c in self.space if c.variant in self.variants]

    @property
    def tune(self) -> bool:
        return bool(self.space) and self.search

    @property
    def scaling(self) -> bool:
        return bool(self.space) and not self.search

    def problem(self) -> str | None:
        """Why the profile cannot run as asked, or None."""
        if any(n < 1 for n in self.api_workers):
            return f"--api-workers must be at least 1: {self.api_workers}"
        if self.space and not {c.variant for c in self.space} >= set(self.variants):
            return "--variants must be ones of the --space (or of the profile's own)"
        if Model.latency in self.models and Model.drain not in self.models:
            return "latency cells offer shares of this run's drain rates: add drain to --models"
        if Model.latency in self.models and not all(0 < s <= 1.5 for s in self.shares or (0,)):
            return f"--shares must be fractions of the drain rate in (0, 1.5]: {self.shares}"
        wanted = self.latency_scenarios
        if Model.latency in self.models and wanted and not set(wanted) & set(self.scenarios):
            return f"the latency cells are for {', '.join(wanted)}: add one to --scenarios"
        return None


BASIC = JOBS
DRAIN, CLOSED, OPEN, ENQUEUE = Model.drain, Model.closed, Model.open, Model.enqueue
LATENCY = Model.latency
NETWORK_RTTS = (0.0, 1.0, 2.0)  # ms between the workers and every service they use
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile(
            "quick",
            "SMOKE RUN: both fairness modes (Celery threads and prefork vs Taskiq), three jobs "
            "(DB write, HTTP call, CPU), short drains, price_order's latency at 50% of capacity, "
            "3 repetitions",
            ("celery-threads", "celery", "taskiq"),
            # sales_report left out: a fourth job put quick over 6 minutes here
            ("price_order", "fetch_rates", "render_invoice"),
            (DRAIN, LATENCY),
            reps=3,
            duration_s=2.5,
            warmup_s=0.5,
            drain_window_s=2.0,
            drain_ramp_s=0.3,
            shares=(0.5,),
            latency_scenarios=("price_order",),
            faults=("worker-kill",),
            fault_duration_s=5.0,
            smoke=True,
        ),
        Profile(
            "standard",
            "both fairness modes, four jobs + probes drained (5 interleaved repetitions), the "
            "four jobs' latency at 50% and 80% of capacity (4)",
            ("celery", "celery-threads", "taskiq"),
            (*PROBES, *BASIC),
            (DRAIN, LATENCY),
            reps=5,
            drain_window_s=8.0,
            drain_ramp_s=0.5,
            duration_s=3.0,
            warmup_s=1.0,
            latency_scenarios=BASIC,
            latency_reps=4,
            # node-loss is not run (and the report says why) without a cluster: run it with
            # the harness aimed at one (scripts/cluster_broker.sh)
            faults=("broker-restart", "broker-alarm", "silent-connection", "node-loss"),
            fault_duration_s=20.0,
            jobcost=True,
            calibrate=True,
        ),
        Profile(
            "full",
            "every variant, mixed, open sweep, enqueue, prefetch sweep, every fault, 5 reps",
            VARIANTS,
            (*PROBES, *BASIC, "mixed"),
            (DRAIN, CLOSED, OPEN, LATENCY, ENQUEUE),
            reps=5,
            duration_s=15.0,
            warmup_s=3.0,
            faults=ALL_FAULTS,
            fault_duration_s=30.0,
            prefetch_sweep=(1, 4, 8, 16, 32),
            jobcost=True,
            calibrate=True,
            rtts=NETWORK_RTTS,
        ),
        Profile(
            "network",
            "the verdicts at a distance: the four jobs and the probes drained with the workers "
            "0, 1 and 2 ms from Postgres, RabbitMQ and the stub, both fairness modes, 3 reps",
            ("celery", "celery-threads", "taskiq"),
            (*PROBES, *BASIC),
            (),
            reps=3,
            drain_window_s=3.0,
            drain_ramp_s=0.5,
            rtts=NETWORK_RTTS,
        ),
        Profile(
            "tune",
            "each backend's worker configurations searched per job: a coarse drain of each "
            "(processes x slots x prefetch), 3 more of each backend's best 3, 5 more of the "
            "winners head to head, then each winner's latency at half its own capacity",
            ("celery", "celery-threads", "taskiq"),
            BASIC,
            (DRAIN, LATENCY),
            reps=3,
            drain_window_s=4.0,
            drain_ramp_s=0.5,
            duration_s=8.0,
            warmup_s=1.0,
            space=interleaved(SPACE),  # of its variants: --variants narrows or widens it
        ),
        Profile(
            "scale",
            "how each backend grows: an HTTP call and a DB write drained at 1, 2, 4 and 8 "
            "worker processes, each pool at its best slots, and the API's enqueue at 1, 2 and 4 "
            "uvicorn processes, 3 interleaved repetitions",
            ("celery", "celery-threads", "taskiq"),
            ("fetch_rates", "price_order"),
            (DRAIN, ENQUEUE),
            reps=3,
            drain_window_s=4.0,
            drain_ramp_s=0.5,
            duration_s=5.0,
            warmup_s=1.0,
            space=SCALE,
            search=False,
            api_workers=SCALE_API_WORKERS,
        ),
        Profile(
            "tiny",
            "CI smoke: both backends, price_order drain + closed + latency, one worker-kill",
            ("celery", "taskiq"),
            ("price_order",),
            (DRAIN, CLOSED, LATENCY),
            duration_s=3.0,
            warmup_s=1.0,
            drain_window_s=2.0,
            users=(4,),
            # a quarter: on a loaded 2-core CI box half the drain rate can already overload
            # the pair (the API and Locust share the cores the drain gave the workers alone)
            shares=(0.25,),
            faults=("worker-kill",),
            fault_duration_s=6.0,
            smoke=True,
        ),
    ]
}

"""The analysis's output and the report's input: results/<run-id>/summary.json, a versioned
`Summary` dumped and loaded by its own class (beside it, when a second session was run,
bench/replication.py's replication.json). `python -m bench report` rebuilds it from the raw
records (bench/raw.py) and renders it again; `compare` reads two.
"""

from typing import ClassVar

from pydantic import BaseModel, Field

from bench.figures import NO_INTERVAL as NO_INTERVAL
from bench.figures import Interval as Interval
from bench.figures import Percentiles as Percentiles
from bench.figures import Ratio as Ratio
from bench.jsonfile import JsonFile

SUMMARY_VERSION = 5  # 3: latency cells (queue-wait, e2e p95/p99); 4: whole-system CPU ratio;
# 5: the tune's winners and best against best, overheads
SUMMARY_VERSIONS = (1, 2, 3, 4, 5)  # what this harness reads
COST_COMPONENTS = ("workers", "api", "rabbitmq", "postgres")  # CPU per job, in the report
SYSTEM = "system"  # their sum, a cell's whole-system CPU per job (only when all were seen)
LATENCY_KEPT = 0.99  # a latency cell must send, and have accepted, this much of what was due
# A latency cell finishing less of what it accepted, by over 3 sqrt(accepted), was overloaded
STEADY = 0.95
OVERLOADED = "overloaded"  # the flag that says so


class Usage(BaseModel):
    """One component over a cell's measured window."""

    cpu_s: float  # CPU seconds used
    cpu_pct: float  # average, in % of one core
    rss_max_mb: float


class Series(BaseModel):
    """Per-second time series of a cell, t in seconds from the cell's load start."""

    t: list[float] = Field(default_factory=list)
    completions: list[float] = Field(default_factory=list)  # jobs finished per second
    queue_depth: list[float] = Field(default_factory=list)  # ready messages
    cpu: dict[str, list[float]] = Field(default_factory=dict)  # component -> % of a core
    rss_mb: dict[str, list[float]] = Field(default_factory=dict)


class Bound(BaseModel):
    """What throughput could be at most, given the slots and the median service time."""

    slots: int
    median_service_ms: float | None
    slots_bound: float | None  # slots / median service time, jobs/s
    utilisation: float | None  # measured throughput / slots_bound
    bottleneck: str  # plain words: "worker slots", "worker CPU", "API", "load generator", ...


class LocustFigures(BaseModel):
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    job_p50_ms: float | None = None  # the custom JOB request type (server-side e2e)
    job_p99_ms: float | None = None


class FaultFigures(BaseModel):
    """What a fault did to a cell under steady load (counts are in CellResult)."""

    fault: str
    notes: list[str]
    at_s: float | None  # when it struck, seconds after load start
    rejected_at_api: int  # 503s: publish failed, row marked failed, nothing queued
    recovery_s: float | None  # from the fault to the first completion of a job started after it
    resumed_s: float | None = None  # from the fault to the first job accepted after it done
    # what the strike saw, s after it ("new leader"); None: not within timing_bounds
    timings: dict[str, float | None] = Field(default_factory=dict)
    timing_bounds: dict[str, float] = Field(default_factory=dict)  # how long each was awaited
    dead_lettered: int  # messages in the backend's dead-letter queue afterwards
    left_in_queue: int  # messages still queued after the drain
    # a worker consumed from the queue after the drain; None: not measured (an older record
    # looked once, when a worker between reconnect attempts has no consumer)
    consuming_after: bool | None
    consumers_waited_s: float | None = None  # after the drain, until they were consuming
    consumers_limit_s: float | None = None  # how long the harness would have waited
    # While the fault lasted (its strike to its end), from Locust's log of every POST and
    # the jobs table; None where the cell has no such log.
    lasted_s: float | None = None  # from the strike to the fault's end (its recovery's start)
    refused_during: int | None = None  # POSTs answered 503
    first_refusal_s: float | None = None  # from the strike to the first 503
    post_p50_during_ms: float | None = None
    post_p99_during_ms: float | None = None
    post_max_during_ms: float | None = None
    flowing_during: int | None = None  # jobs that finished while it lasted
    deadline_failed: int = 0  # rows failed because their attempts ran out at the deadline
    cut_at_s: float | None = None  # median length of those rows' last attempt


class Arrivals(BaseModel):
    """What a latency cell's open-loop generator did over the measured window: arrivals due
    on its seeded Poisson schedule, sent, and accepted (202), and how late it sent them."""

    rate: float  # jobs/s asked for
    due: int  # arrivals the schedule put in the window (about rate x window, +- its root)
    sent: int
    accepted: int
    late_p50_ms: float | None
    late_p99_ms: float | None
    late_max_ms: float | None
    post_p99_ms: float | None = None  # the API's answer to them: not in e2e, which starts at
    # the row's insert


class LoopLag(BaseModel):
    """How late the API's event loop woke up (the probe in api/loop_lag.py)."""

    samples: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class CellResult(BaseModel):
    cell_id: str
    variant: str  # bench/spec/variants.py
    backend: str
    scenario: str
    model: str  # bench.spec.models.Model
    load: float  # users (closed, enqueue), jobs/s (open, fault); drain: 0 (see backlog)
    rep: int
    prefetch: int  # messages reserved per worker process
    purpose: str = "main"  # bench.spec.models.Purpose
    stage: str | None = None  # a tune's (bench.raw.Cell.stage)
    bare: bool = False  # calibration drain without the harness's instrumentation
    rtt_ms: float | None = None  # network cells: the RTT asked of the proxy
    rtt_measured: dict[str, float] | None = None  # and what a round trip through it took, ms
    share: float | None = None  # latency cells: the offered rate's share of the drain rate
    against: str | None = None  # latency cells: the variant paired with (whose drain counts)
    arrivals: Arrivals | None = None  # latency cells: the generator's schedule, kept or not
    window_s: float
    backlog: int | None = None  # drain: jobs prefilled
    discarded: int | None = None  # drain: backlog left unstarted after the window
    accepted: int
    completed: int  # done within the measured window
    done: int = 0  # done by the end of the cell
    failed: int
    lost: int  # accepted, never finished by the end of the cell
    redelivered: int  # jobs with attempts > 1 (re-run)
    duplicate_deliveries: int  # deliveries that found their job finished: re-run without effect
    republished: int  # jobs whose message the API's recovery published again
    # Calls beyond one per job that the external service received (None: no job of the
    # cell calls it, or the stub was not reachable).
    external_repeats: int | None = None
    throughput: float  # completions/s over the measured window
    offered: float | None = None  # open models: arrival rate asked for (jobs/s)
    accepted_rate: float | None = None  # jobs accepted (202) per second in the window
    loop_lag: LoopLag | None = None  # the API's event-loop lag over the cell
    message_bytes: int | None = None  # body of one job message, taken off the queue
    e2e_ms: Percentiles
    queue_wait_ms: Percentiles
    service_ms: Percentiles
    # CPU milliseconds per job completed in the window (= CPU-seconds per 1000 jobs).
    cpu_ms_per_job: dict[str, float] = Field(default_factory=dict)
    bound: Bound
    locust: LocustFigures | None = None
    fault: FaultFigures | None = None
    usage: dict[str, Usage] = Field(default_factory=dict)
    # Components the harness could not see (a service in another container or host), with
    # why: left out of every figure, never shown as 0.
    not_measured: dict[str, str] = Field(default_factory=dict)
    series: Series = Field(default_factory=Series)
    flags: list[str] = Field(default_factory=list)  # reasons the cell is not trustworthy
    valid: bool = True

    @property
    def overloaded(self) -> bool:
        """A latency cell whose queue grew through its window (bench/analyse/load.py)."""
        return any(f.startswith(OVERLOADED) for f in self.flags)


class JobCost(BaseModel):
    """A scenario's job run in-process through the lifecycle, no queue."""

    cell_id: str
    scenario: str
    concurrency: int
    jobs: int
    cpu_ms_per_job: float | None
    jobs_per_s: float | None


class Group(BaseModel):
    """All repetitions of one (purpose, scenario, model, load, variant, prefetch)."""

    purpose: str
    scenario: str
    model: str
    load: float
    variant: str
    prefetch: int
    rtt_ms: float | None = None
    against: str | None = None  # latency groups: the variant paired with
    throughput: Interval
    e2e_p50: Interval
    e2e_p99: Interval
    e2e_p95: Interval = Field(default_factory=lambda: NO_INTERVAL)
    queue_wait_p50: Interval = Field(default_factory=lambda: NO_INTERVAL)
    queue_wait_p95: Interval = Field(default_factory=lambda: NO_INTERVAL)
    queue_wait_p99: Interval = Field(default_factory=lambda: NO_INTERVAL)
    cpu_ms_per_job: dict[str, Interval] = Field(default_factory=dict)
    not_measured: dict[str, str] = Field(default_factory=dict)  # see CellResult
    worker_rss_mb: Interval
    failed: int
    lost: int
    duplicate_deliveries: int
    invalid_reps: int


class Comparison(BaseModel):
    """Taskiq against a Celery variant per (scenario, model, load) and fairness mode, paired."""

    scenario: str
    model: str
    load: float
    mode: str  # bench.spec.variants.MODES key
    celery: str  # the Celery variant
    rtt_ms: float | None = None  # network comparisons: at this RTT
    throughput_ratio: Ratio  # Taskiq / Celery jobs/s
    e2e_p50_ratio: Ratio  # Taskiq / Celery
    worker_cpu_ratio: Ratio  # Taskiq / Celery worker CPU per job
    system_cpu_ratio: Ratio | None = None  # the same, of SYSTEM (summaries since version 4)
    share: float | None = None  # latency comparisons: the load's share of the drain rate
    e2e_p99_ratio: Ratio | None = None  # latency comparisons: Taskiq / Celery
    queue_wait_p99_ratio: Ratio | None = None


class Tuned(BaseModel):
    """A backend's best configuration of a job in the tune, against its runner-up."""

    scenario: str
    backend: str
    winner: str  # the configuration's label (bench/spec/tune.py)
    runner_up: str | None
    over_runner_up: Ratio  # winner / runner-up jobs/s, paired over the confirming repetitions
    tried: int  # the backend's configurations in the coarse pass


class Overhead(BaseModel):
    """The service's worker against a minimal one of the same library, paired by repetition."""

    scenario: str
    variant: str
    reference: str  # the minimal worker (bench.spec.variants.MINIMAL)
    throughput_ratio: Ratio  # variant / reference jobs/s
    worker_cpu_ratio: Ratio  # variant / reference worker CPU per job


class DistanceEffect(BaseModel):
    """One variant's drain at an RTT against its own 0 ms control, paired by repetition."""

    scenario: str
    variant: str
    rtt_ms: float
    ratio: Ratio  # throughput at rtt_ms / throughput at 0 ms


class Calibration(BaseModel):
    """The harness's own overhead: instrumented / bare drain throughput, per backend."""

    scenario: str
    backend: str
    bare: Interval
    instrumented: Interval
    ratio: Ratio


class Summary(JsonFile):
    FILE: ClassVar[str] = "summary.json"
    VERSIONS: ClassVar[tuple[int, ...]] = SUMMARY_VERSIONS
    version: int = SUMMARY_VERSION
    run_id: str
    profile: str
    smoke: bool = False
    started: str
    wall_s: float
    ledger: dict[str, object]  # every fairness setting as used
    environment: dict[str, object]  # versions, CPU count, host
    not_run: dict[str, str] = Field(default_factory=dict)  # faults left out, with why
    margin: float = 0.05  # of practical equivalence: a verdict's interval must clear 1 +/- it
    cells: list[CellResult]
    jobcosts: list[JobCost] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)
    calibration: list[Calibration] = Field(default_factory=list)
    distance: list[DistanceEffect] = Field(default_factory=list)
    overheads: list[Overhead] = Field(default_factory=list)  # against a minimal worker
    tuned: list[Tuned] = Field(default_factory=list)  # the tune: each backend's best per job
    best: list[Comparison] = Field(default_factory=list)  # the tune: winner against winner

"""The saved-results contract: what the runner writes and the report reads.

results/<run-id>/summary.json holds a `Summary`; each cell's raw data (Locust
CSV/HTML, per-job timings, resource samples) sits beside it in cells/<cell-id>/.
"""

from pathlib import Path

from pydantic import BaseModel, Field


class Interval(BaseModel):
    """Median over repetitions with a 95% bootstrap interval (lo == hi when n == 1;
    all None when there was nothing to measure)."""

    median: float | None
    lo: float | None
    hi: float | None
    n: int


class Percentiles(BaseModel):
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class Usage(BaseModel):
    """One component's resource use over a cell (CPU in % of one core)."""

    cpu_avg: float
    cpu_max: float
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
    dead_lettered: int  # messages in the backend's dead-letter queue afterwards
    left_in_queue: int  # messages still queued after the drain
    consuming_after: bool  # a worker consumed from the queue at the end


class CellResult(BaseModel):
    cell_id: str
    variant: str  # "celery", "celery-naive", "celery-asyncio_run", "taskiq"
    backend: str
    scenario: str
    task: str
    model: str  # drain | closed | open
    load: float  # users (closed), jobs/s (open), backlog size (drain)
    rep: int
    window_s: float
    accepted: int
    completed: int
    failed: int
    lost: int  # accepted, never finished by the end of the drain
    redelivered: int  # jobs with attempts > 1 (re-run)
    duplicate_deliveries: int  # deliveries that found their job finished: re-run without effect
    republished: int  # jobs whose message the API's recovery published again
    # Calls beyond one per job that the external service received (None: no job of the
    # cell calls it, or the stub was not reachable).
    external_repeats: int | None = None
    throughput: float  # completions/s over the steady window
    offered: float | None = None  # open model: arrival rate asked for
    message_bytes: int | None = None  # body of one job message, taken off the queue
    e2e_ms: Percentiles
    queue_wait_ms: Percentiles
    service_ms: Percentiles
    bound: Bound
    locust: LocustFigures | None = None
    fault: FaultFigures | None = None
    usage: dict[str, Usage] = Field(default_factory=dict)
    series: Series = Field(default_factory=Series)
    flags: list[str] = Field(default_factory=list)  # reasons the cell is not trustworthy
    valid: bool = True


class Group(BaseModel):
    """All repetitions of one (scenario, model, load, variant)."""

    scenario: str
    task: str
    model: str
    load: float
    variant: str
    throughput: Interval
    e2e_p50: Interval
    e2e_p99: Interval
    failed: int
    lost: int
    duplicate_deliveries: int
    invalid_reps: int


class Comparison(BaseModel):
    """Taskiq / Celery ratio for one (scenario, model, load), paired by repetition."""

    scenario: str
    model: str
    load: float
    baseline: str  # the Celery variant compared against
    throughput_ratio: Interval
    e2e_p50_ratio: Interval


class Summary(BaseModel):
    run_id: str
    profile: str
    started: str
    wall_s: float
    ledger: dict[str, object]  # every fairness setting as used
    environment: dict[str, object]  # versions, CPU count, host
    cells: list[CellResult]
    groups: list[Group] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)


def save(summary: Summary, run_dir: Path) -> Path:
    path = run_dir / "summary.json"
    path.write_text(summary.model_dump_json(indent=2))
    return path


def load(run_dir: Path) -> Summary:
    return Summary.model_validate_json((run_dir / "summary.json").read_text())

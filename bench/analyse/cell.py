"""What every load model's analysis shares: a cell's raw data loaded once, and the figures
of its measured window. The jobs table is the truth: throughput, latency and the CPU
divided per job all count the rows of the jobs completed in the window."""

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench import stats
from bench.analyse import usage
from bench.raw import (
    CALLS_CSV,
    JOBS_CSV,
    LOCUST_STATS,
    QUEUE_CSV,
    SAMPLES_CSV,
    CellRecord,
    read_rows,
)
from bench.spec.models import Model, Purpose
from bench.spec.tune import SEPARATOR, Config
from bench.spec.variants import in_flight
from bench.summary import (
    Arrivals,
    Bound,
    CellResult,
    FaultFigures,
    LocustFigures,
    LoopLag,
    Series,
    Usage,
)
from core.contract import JobStatus

Row = dict[str, str]
CPU_FLAG = 90.0  # % of one core: Locust or the API above this is the bottleneck
EXTERNAL_TASKS = {"fetch_rates"}  # tasks that call the external (stub) service
FAULT_MISSED = ("fault injection failed", "fault did not strike")  # it proves nothing
INVALIDATING = (
    "load generator saturated",
    "API was the bottleneck",
    "generator- or API-limited",
    *FAULT_MISSED,
)


@dataclass
class CellData:
    """A cell's record and rows, read once."""

    record: CellRecord
    dir: Path
    rows: list[Row]  # every job row, publish failures included
    samples: list[Row]
    queue: list[Row]

    @classmethod
    def read(cls, cell_dir: Path) -> "CellData":
        return cls(
            CellRecord.load(cell_dir),
            cell_dir,
            read_rows(cell_dir / JOBS_CSV),
            read_rows(cell_dir / SAMPLES_CSV),
            read_rows(cell_dir / QUEUE_CSV),
        )

    @property
    def jobs(self) -> list[Row]:
        """Accepted jobs: a failed publish answered 503 and left a failed row, refused."""
        return [j for j in self.rows if not (j["error"] or "").startswith("publish failed")]

    @property
    def done(self) -> list[Row]:
        return [j for j in self.jobs if j["status"] == JobStatus.done]


@dataclass
class Window:
    """The measured part of a cell and the jobs whose figures count."""

    start: float
    end: float
    measured: list[Row]  # done jobs whose latencies count
    throughput: float
    per_job: int  # what CPU is divided by
    accepted_in: int
    flags: list[str] = field(default_factory=list)
    invalid: bool = False  # for a reason no flag states (a drain window cut short)

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _float(v: str | None) -> float | None:
    return float(v) if v not in (None, "", "N/A") else None


def locust(cell_dir: Path) -> LocustFigures | None:
    rows = read_rows(cell_dir / LOCUST_STATS)
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None:
        return None
    post = next((r for r in rows if r["Name"].startswith("POST /")), None)
    job = next((r for r in rows if r["Type"] == "JOB"), None)
    base = post or total
    return LocustFigures(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=_float(base["50%"]),
        p95_ms=_float(base["95%"]),
        p99_ms=_float(base["99%"]),
        job_p50_ms=_float(job["50%"]) if job else None,
        job_p99_ms=_float(job["99%"]) if job else None,
    )


def series(data: CellData, t0: float, t1: float) -> Series:
    seconds = max(1, int(t1 - t0) + 1)
    depth = [0.0] * seconds
    for r in data.queue:
        k = int(float(r["t"]) - t0)
        if 0 <= k < seconds:
            depth[k] = float(r["depth"])  # the last sample in each second
    cpu, rss = usage.per_second(data.samples, t0, seconds)
    finished = [float(j["finished"]) for j in data.done]
    return Series(
        t=[float(k) for k in range(seconds)],
        completions=stats.per_second(finished, t0, t0 + seconds),
        queue_depth=depth,
        cpu=cpu,
        rss_mb=rss,
    )


def bottleneck(
    record: CellRecord, use: dict[str, Usage], utilisation: float | None
) -> tuple[str, list[str]]:
    flags = []
    if "locust" in use and use["locust"].cpu_pct > CPU_FLAG:
        flags.append(f"load generator saturated (Locust CPU {use['locust'].cpu_pct:.0f}%)")
    model = record.cell.model
    if (
        "api" in use
        and use["api"].cpu_pct > CPU_FLAG
        and not (model is Model.drain or model.producer)
    ):
        flags.append(f"API was the bottleneck (API CPU {use['api'].cpu_pct:.0f}%)")
    if flags:
        return ("load generator" if "Locust" in flags[0] else "API"), flags
    workers_cpu = use["workers"].cpu_pct if "workers" in use else 0.0
    host_cpu = sum(u.cpu_pct for u in use.values())
    if utilisation is not None and utilisation >= 0.8:
        return "worker slots (concurrency x service time)", flags
    if workers_cpu >= 0.8 * 100 * min(record.processes, record.cpus):
        return "worker CPU", flags
    if host_cpu >= 0.85 * 100 * record.cpus:
        return "host CPU (shared by all components)", flags
    if model is Model.closed:
        return "offered load (users waiting on their jobs)", flags
    return "broker or database (workers neither busy nor CPU-bound)", flags


def external_repeats(data: CellData) -> int | None:
    """External calls beyond one per job, for the cell's jobs that make one."""
    calling = {j["id"] for j in data.jobs if j["task"] in EXTERNAL_TASKS}
    calls = read_rows(data.dir / CALLS_CSV)
    if not calling or not calls:
        return None
    return stats.count_repeats(int(r["calls"]) for r in calls if r["id"] in calling)


def shown_name(record: CellRecord) -> str:
    """The cell's variant, or its configuration (a tune's, a scaling's), or its number of
    API processes: each a variant of its own in the figures."""
    cell = record.cell
    if cell.api_workers:
        return f"{cell.variant}{SEPARATOR}{cell.api_workers} API processes"
    if cell.purpose in (Purpose.tune, Purpose.scale):
        return Config(cell.variant, record.processes, record.slots, record.prefetch).label
    return cell.variant


def result(
    data: CellData, window: Window, arrivals: Arrivals | None = None,
    fault: FaultFigures | None = None,
) -> CellResult:  # fmt: skip
    """The cell's figures over its window."""
    record, cell, marks = data.record, data.record.cell, data.record.marks
    jobs, flags = data.jobs, list(window.flags)

    def ms(a: str, b: str) -> list[float]:
        return [(float(j[b]) - float(j[a])) * 1000 for j in window.measured if j[a] and j[b]]

    service = ms("started", "finished")  # the last attempt
    median_service = statistics.median(service) if service else None
    slots = in_flight(cell.variant, record.processes, record.slots)
    slots_bound = slots / (median_service / 1000) if median_service else None
    utilisation = window.throughput / slots_bound if slots_bound else None
    use = usage.usage(data.samples, window.start, window.end)
    neck, more = bottleneck(record, use, utilisation)
    flags += more
    lost = stats.count_lost(j["status"] for j in jobs)
    if lost and not cell.model.producer:  # an enqueue cell runs no worker: nothing finishes
        flags.append(f"{lost} accepted job(s) never finished")
    if fault is not None:
        flags += [n for n in fault.notes if n.startswith(FAULT_MISSED)]
    return CellResult(
        cell_id=record.cell_id, variant=shown_name(record), backend=str(cell.backend),
        scenario=cell.scenario, model=cell.model, load=cell.load, rep=cell.rep,
        prefetch=record.prefetch, purpose=cell.purpose, stage=cell.stage, bare=cell.bare,
        rtt_ms=cell.rtt_ms, rtt_measured=marks.rtt_measured, share=cell.share,
        against=cell.against, arrivals=arrivals,
        window_s=round(window.seconds, 3), backlog=marks.backlog, discarded=marks.discarded,
        accepted=len(jobs),
        completed=sum(1 for j in data.done if window.start <= float(j["finished"]) < window.end),
        done=len(data.done),
        failed=sum(1 for j in jobs if j["status"] == JobStatus.failed),
        lost=lost,
        redelivered=sum(1 for j in jobs if int(j["attempts"]) > 1),
        duplicate_deliveries=sum(int(j["duplicate_deliveries"]) for j in jobs),
        republished=sum(1 for j in jobs if int(j["publishes"]) > 1),
        external_repeats=external_repeats(data),
        throughput=round(window.throughput, 3), offered=record.offered,
        accepted_rate=round(window.accepted_in / window.seconds, 3) if window.seconds > 0 else None,
        loop_lag=LoopLag.model_validate(marks.loop_lag) if marks.loop_lag else None,
        message_bytes=(marks.message or {}).get("body_bytes"),
        e2e_ms=stats.percentiles(ms("enqueued", "finished")),
        queue_wait_ms=stats.percentiles(ms("enqueued", "first_started")),
        service_ms=stats.percentiles(service),
        cpu_ms_per_job={c: round(1000 * u.cpu_s / window.per_job, 4) for c, u in use.items()}
        if window.per_job else {},
        bound=Bound(slots=slots, median_service_ms=median_service, slots_bound=slots_bound,
                    utilisation=utilisation, bottleneck=neck),
        locust=locust(data.dir), fault=fault, usage=use, not_measured=marks.not_measured,
        series=series(data, marks.t_load_start, marks.t_end or window.end),
        flags=flags,
        valid=not window.invalid and not any(f.startswith(INVALIDATING) for f in flags),
    )  # fmt: skip

"""Turn one cell's saved raw data into figures.

Reads only files under results/<run-id>/cells/<cell>/ (cell.json, jobs.csv,
calls.csv, samples.csv, queue.csv, locust_stats.csv, jobcost.json), so it can be
re-run on old results. The jobs table is the truth: throughput, latency and the CPU
divided per job all count the rows of jobs completed in the cell's measured window.
"""

import csv
import json
import statistics
from pathlib import Path
from typing import Any

from bench import stats, usage
from bench.commands import CELERY
from bench.results import (
    Bound,
    CellResult,
    FaultFigures,
    JobCost,
    LocustFigures,
    LoopLag,
    Series,
    Usage,
)
from core.contract import JobStatus

PREFORK = {name for name, p in CELERY.items() if p.pool == "prefork"}
CPU_FLAG = 90.0  # % of one core: Locust or the API above this is the bottleneck
EXTERNAL_TASKS = {"fetch_rates"}  # tasks that call the external (stub) service
OPEN_KEPT = 0.95  # an open cell that accepted less of its offered rate is not a worker result
SHORT_WINDOW = 0.9
FAULT_MISSED = ("fault injection failed", "fault did not strike")  # it proves nothing
INVALIDATING = (
    "load generator saturated",
    "API was the bottleneck",
    "generator- or API-limited",
    *FAULT_MISSED,
)  # a drain whose backlog ran out before 90% of its window is invalid


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _float(v: str | None) -> float | None:
    return float(v) if v not in (None, "", "N/A") else None


def _locust(cell_dir: Path) -> LocustFigures | None:
    rows = _rows(cell_dir / "locust_stats.csv")
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None:
        return None
    post = next((r for r in rows if r["Name"] == "POST /jobs"), None)
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


def _series(
    finished: list[float],
    queue: list[dict[str, str]],
    samples: list[dict[str, str]],
    t0: float,
    t1: float,
) -> Series:
    seconds = max(1, int(t1 - t0) + 1)
    depth = [0.0] * seconds
    for r in queue:
        k = int(float(r["t"]) - t0)
        if 0 <= k < seconds:
            depth[k] = float(r["depth"])  # the last sample in each second
    cpu, rss = usage.per_second(samples, t0, seconds)
    return Series(
        t=[float(k) for k in range(seconds)],
        completions=stats.per_second(finished, t0, t0 + seconds),
        queue_depth=depth,
        cpu=cpu,
        rss_mb=rss,
    )


def _bottleneck(
    cell: dict[str, Any], use: dict[str, Usage], utilisation: float | None
) -> tuple[str, list[str]]:
    flags = []
    if "locust" in use and use["locust"].cpu_pct > CPU_FLAG:
        flags.append(f"load generator saturated (Locust CPU {use['locust'].cpu_pct:.0f}%)")
    api_measured = cell["model"] == "drain" or cell.get("purpose") == "enqueue"
    if "api" in use and use["api"].cpu_pct > CPU_FLAG and not api_measured:
        flags.append(f"API was the bottleneck (API CPU {use['api'].cpu_pct:.0f}%)")
    if flags:
        return ("load generator" if "Locust" in flags[0] else "API"), flags
    workers_cpu = use["workers"].cpu_pct if "workers" in use else 0.0
    host_cpu = sum(u.cpu_pct for u in use.values())
    if utilisation is not None and utilisation >= 0.8:
        return "worker slots (concurrency x service time)", flags
    if workers_cpu >= 0.8 * 100 * min(cell["processes"], cell["cpus"]):
        return "worker CPU", flags
    if host_cpu >= 0.85 * 100 * cell["cpus"]:
        return "host CPU (shared by all components)", flags
    if cell["model"] == "closed":
        return "offered load (users waiting on their jobs)", flags
    return "broker or database (workers neither busy nor CPU-bound)", flags


def _fault(cell: dict[str, Any], jobs: list[dict[str, str]], rejected: int) -> FaultFigures:
    t_fault, t_done = cell.get("t_fault"), cell.get("t_fault_done")
    recovery = None
    if t_fault is not None and t_done is not None:
        after = [
            float(j["finished"])
            for j in jobs
            if j["status"] == JobStatus.done and j["started"] and float(j["started"]) >= t_done
        ]
        recovery = round(min(after) - t_fault, 3) if after else None
    return FaultFigures(
        fault=cell["fault"],
        notes=cell.get("fault_notes", []),
        at_s=round(t_fault - cell["t_load_start"], 2) if t_fault is not None else None,
        rejected_at_api=rejected,
        recovery_s=recovery,
        dead_lettered=cell.get("dead_lettered", 0),
        left_in_queue=cell.get("left_in_queue", 0),
        consuming_after=cell.get("consumers", 0) > 0,
    )


def _external_repeats(cell_dir: Path, jobs: list[dict[str, str]]) -> int | None:
    """External calls beyond one per job, for the cell's jobs that make one."""
    calling = {j["id"] for j in jobs if j["task"] in EXTERNAL_TASKS}
    calls = _rows(cell_dir / "calls.csv")
    if not calling or not calls:
        return None
    return stats.count_repeats(int(r["calls"]) for r in calls if r["id"] in calling)


def _jobcosts(cell: dict[str, Any], cell_dir: Path) -> list[JobCost]:
    return [
        JobCost(
            cell_id=cell["cell_id"],
            scenario=cell["scenario"],
            concurrency=figures["concurrency"],
            jobs=figures["jobs"],
            cpu_ms_per_job=figures["cpu_ms_per_job"],
            jobs_per_s=figures["jobs_per_s"],
        )
        for figures in json.loads((cell_dir / "jobcost.json").read_text())
    ]


def _not_measured(cell_dir: Path) -> dict[str, str]:
    path = cell_dir / "not_measured.json"
    found: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    return found


def analyse_cell(cell_dir: Path) -> CellResult | list[JobCost]:
    cell = json.loads((cell_dir / "cell.json").read_text())
    if cell["model"] == "jobcost":
        return _jobcosts(cell, cell_dir)
    rows = _rows(cell_dir / "jobs.csv")
    # A failed publish answered 503 and left a failed row: refused, not accepted.
    jobs = [j for j in rows if not (j["error"] or "").startswith("publish failed")]
    rejected = len(rows) - len(jobs)
    samples, queue = _rows(cell_dir / "samples.csv"), _rows(cell_dir / "queue.csv")
    done = [j for j in jobs if j["status"] == JobStatus.done]
    finished = [float(j["finished"]) for j in done]
    flags: list[str] = []
    if cell["model"] == "drain":
        start, end = cell["t_window_start"], cell["t_window_end"]
        last = max(finished, default=start)
        if last < end - 1.0:  # the backlog ran out inside the window
            flags.append(f"backlog ran out {end - last:.1f} s before the window's end")
            end = max(last, start + 1e-3)
        measured = [j for j in done if start <= float(j["finished"]) < end]
    else:
        start, end = cell["t_measure_start"], cell["t_measure_end"]
        measured = [j for j in done if start <= float(j["enqueued"]) < end]
    window = end - start
    completed = sum(1 for t in finished if start <= t < end)
    accepted_in = sum(1 for j in jobs if start <= float(j["enqueued"]) < end)
    accepted_rate = accepted_in / window if window > 0 else None
    producer = cell.get("purpose") == "enqueue"  # no workers: the API's rate is the figure
    if (
        cell.get("offered")
        and accepted_rate is not None
        and accepted_rate < OPEN_KEPT * cell["offered"]
    ):
        # Under an enqueue-rate load the API's limit is the figure; elsewhere it is not a
        # worker result.
        who = "API at its limit" if producer else "generator- or API-limited"
        flags.append(
            f"{who}: {accepted_rate:.0f} of {cell['offered']:g} jobs/s offered were accepted"
        )

    def ms(a: str, b: str) -> list[float]:
        return [(float(j[b]) - float(j[a])) * 1000 for j in measured if j[a] and j[b]]

    service = ms("started", "finished")  # the last attempt
    median_service = statistics.median(service) if service else None
    slots = cell["processes"] * (cell["slots"] if cell["variant"] not in PREFORK else 1)
    throughput = (accepted_rate or 0.0) if producer else completed / window if window > 0 else 0.0
    per_job = accepted_in if producer else completed
    slots_bound = slots / (median_service / 1000) if median_service else None
    utilisation = throughput / slots_bound if slots_bound else None
    use = usage.usage(samples, start, end)
    bottleneck, more = _bottleneck(cell, use, utilisation)
    flags += more
    lost = stats.count_lost(j["status"] for j in jobs)
    if lost and not producer:  # an enqueue cell runs no worker: nothing finishes there
        flags.append(f"{lost} accepted job(s) never finished")
    fault = _fault(cell, jobs, rejected) if cell.get("fault") else None
    if fault is not None:
        flags += [n for n in fault.notes if n.startswith(FAULT_MISSED)]
    short = cell["model"] == "drain" and window < SHORT_WINDOW * (
        cell["t_window_end"] - cell["t_window_start"]
    )
    return CellResult(
        cell_id=cell["cell_id"],
        variant=cell["variant"],
        backend=cell["backend"],
        scenario=cell["scenario"],
        task=cell["scenario"],
        model=cell["model"],
        load=cell["load"],
        rep=cell["rep"],
        prefetch=cell["prefetch"],
        purpose=cell.get("purpose", "main"),
        bare=cell.get("bare", False),
        window_s=round(window, 3),
        backlog=cell.get("backlog"),
        discarded=cell.get("discarded"),
        accepted=len(jobs),
        completed=completed,
        done=len(done),
        failed=sum(1 for j in jobs if j["status"] == JobStatus.failed),
        lost=lost,
        redelivered=sum(1 for j in jobs if int(j["attempts"]) > 1),
        duplicate_deliveries=sum(int(j["duplicate_deliveries"]) for j in jobs),
        republished=sum(1 for j in jobs if int(j["publishes"]) > 1),
        external_repeats=_external_repeats(cell_dir, jobs),
        throughput=round(throughput, 3),
        offered=cell.get("offered"),
        accepted_rate=round(accepted_rate, 3) if accepted_rate is not None else None,
        loop_lag=LoopLag.model_validate(cell["loop_lag"]) if cell.get("loop_lag") else None,
        message_bytes=(cell.get("message") or {}).get("body_bytes"),
        e2e_ms=stats.percentiles(ms("enqueued", "finished")),
        queue_wait_ms=stats.percentiles(ms("enqueued", "first_started")),
        service_ms=stats.percentiles(service),
        cpu_ms_per_job={c: round(1000 * u.cpu_s / per_job, 4) for c, u in use.items()}
        if per_job
        else {},
        bound=Bound(
            slots=slots,
            median_service_ms=median_service,
            slots_bound=slots_bound,
            utilisation=utilisation,
            bottleneck=bottleneck,
        ),
        locust=_locust(cell_dir),
        fault=fault,
        usage=use,
        not_measured=_not_measured(cell_dir),
        series=_series(finished, queue, samples, cell["t_load_start"], cell.get("t_end", end)),
        flags=flags,
        valid=not short and not any(f.startswith(INVALIDATING) for f in flags),
    )

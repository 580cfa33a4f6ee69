"""Turn one run's saved raw data into figures: per cell, then across repetitions.

Reads only files under results/<run-id>/ (cell.json, jobs.csv, samples.csv,
queue.csv, locust_stats.csv), so it can be re-run on old results.
"""

import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import stats
from bench.results import (
    Bound,
    CellResult,
    Comparison,
    FaultFigures,
    Group,
    LocustFigures,
    Series,
    Usage,
)
from core.contract import JobStatus

CPU_FLAG = 90.0  # % of one core: Locust or the API above this is the bottleneck
EXTERNAL_TASKS = {"fetch_rates"}  # tasks that call the external (stub) service


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _float(v: str | None) -> float | None:
    return float(v) if v not in (None, "", "N/A") else None


def _usage(samples: list[dict[str, str]], start: float, end: float) -> dict[str, Usage]:
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in samples:
        if start <= float(r["t"]) <= end:
            by[r["component"]].append((float(r["cpu_pct"]), float(r["rss_mb"])))
    return {
        c: Usage(
            cpu_avg=round(statistics.fmean(v[0] for v in vals), 1),
            cpu_max=max(v[0] for v in vals),
            rss_max_mb=max(v[1] for v in vals),
        )
        for c, vals in sorted(by.items())
        if vals
    }


def _locust(cell_dir: Path) -> LocustFigures | None:
    rows = _rows(cell_dir / "locust_stats.csv")
    if not rows:
        return None
    http = [r for r in rows if r["Type"] not in ("JOB", "")]
    post = next((r for r in http if r["Name"] == "POST /jobs"), None)
    job = next((r for r in rows if r["Type"] == "JOB"), None)
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None:
        return None
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
    cpu: dict[str, list[float]] = defaultdict(lambda: [0.0] * seconds)
    rss: dict[str, list[float]] = defaultdict(lambda: [0.0] * seconds)
    for r in samples:
        k = int(float(r["t"]) - t0)
        if 0 <= k < seconds:
            cpu[r["component"]][k] = float(r["cpu_pct"])
            rss[r["component"]][k] = float(r["rss_mb"])
    return Series(
        t=[float(k) for k in range(seconds)],
        completions=stats.per_second(finished, t0, t0 + seconds),
        queue_depth=depth,
        cpu=dict(cpu),
        rss_mb=dict(rss),
    )


def _bottleneck(
    cell: dict[str, Any], usage: dict[str, Usage], utilisation: float | None
) -> tuple[str, list[str]]:
    flags = []
    if "locust" in usage and usage["locust"].cpu_avg > CPU_FLAG:
        flags.append(f"load generator saturated (Locust CPU {usage['locust'].cpu_avg:.0f}%)")
    if "api" in usage and usage["api"].cpu_avg > CPU_FLAG:
        flags.append(f"API was the bottleneck (API CPU {usage['api'].cpu_avg:.0f}%)")
    if flags:
        return ("load generator" if "Locust" in flags[0] else "API"), flags
    workers_cpu = usage["workers"].cpu_avg if "workers" in usage else 0.0
    host_cpu = sum(u.cpu_avg for u in usage.values())
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


def analyse_cell(cell_dir: Path) -> CellResult:
    cell = json.loads((cell_dir / "cell.json").read_text())
    rows = _rows(cell_dir / "jobs.csv")
    # A failed publish answered 503 and left a failed row: refused, not accepted.
    jobs = [j for j in rows if not (j["error"] or "").startswith("publish failed")]
    rejected = len(rows) - len(jobs)
    samples, queue = _rows(cell_dir / "samples.csv"), _rows(cell_dir / "queue.csv")
    done = [j for j in jobs if j["status"] == JobStatus.done]
    finished = [float(j["finished"]) for j in done]
    if cell["model"] == "drain":
        start, end = stats.drain_window(finished)
        measured = done
    else:
        start, end = cell["t_measure_start"], cell["t_measure_end"]
        measured = [j for j in done if start <= float(j["enqueued"]) < end]
    throughput = stats.throughput(finished, start, end)

    def ms(a: str, b: str) -> list[float]:
        return [(float(j[b]) - float(j[a])) * 1000 for j in measured]

    service = ms("started", "finished")  # the last attempt
    median_service = statistics.median(service) if service else None
    slots = cell["processes"] * (cell["slots"] if cell["backend"] == "taskiq" else 1)
    slots_bound = slots / (median_service / 1000) if median_service else None
    utilisation = throughput / slots_bound if slots_bound else None
    usage = _usage(samples, start, end) or _usage(samples, cell["t_load_start"], cell["t_end"])
    bottleneck, flags = _bottleneck(cell, usage, utilisation)
    lost = stats.count_lost(j["status"] for j in jobs)
    if lost:
        flags.append(f"{lost} accepted job(s) never finished")
    fault = _fault(cell, jobs, rejected) if cell.get("fault") else None
    if fault is not None:
        flags += [n for n in fault.notes if "failed" in n]
    return CellResult(
        cell_id=cell["cell_id"],
        variant=cell["variant"],
        backend=cell["backend"],
        scenario=cell["scenario"],
        task=cell["scenario"],
        model=cell["model"],
        load=cell["load"],
        rep=cell["rep"],
        window_s=round(end - start, 3),
        accepted=len(jobs),
        completed=len(done),
        failed=sum(1 for j in jobs if j["status"] == JobStatus.failed),
        lost=lost,
        redelivered=sum(1 for j in jobs if int(j["attempts"]) > 1),
        duplicate_deliveries=sum(int(j["duplicate_deliveries"]) for j in jobs),
        republished=sum(1 for j in jobs if int(j["publishes"]) > 1),
        external_repeats=_external_repeats(cell_dir, jobs),
        throughput=round(throughput, 3),
        offered=cell.get("offered"),
        message_bytes=(cell.get("message") or {}).get("body_bytes"),
        e2e_ms=stats.percentiles(ms("enqueued", "finished")),
        queue_wait_ms=stats.percentiles(ms("enqueued", "first_started")),
        service_ms=stats.percentiles(service),
        bound=Bound(
            slots=slots,
            median_service_ms=median_service,
            slots_bound=slots_bound,
            utilisation=utilisation,
            bottleneck=bottleneck,
        ),
        locust=_locust(cell_dir),
        fault=fault,
        usage=usage,
        series=_series(finished, queue, samples, cell["t_load_start"], cell["t_end"]),
        flags=flags,
        valid=not any("saturated" in f or "API was" in f for f in flags),
    )


def group(cells: list[CellResult]) -> tuple[list[Group], list[Comparison]]:
    by: dict[tuple[str, str, float, str], list[CellResult]] = defaultdict(list)
    for c in cells:
        if c.fault is not None:  # fault cells have their own table
            continue
        by[(c.scenario, c.model, c.load, c.variant)].append(c)
    groups = []
    for (scenario, model, load, variant), reps in sorted(by.items()):
        reps.sort(key=lambda c: c.rep)
        valid = [c for c in reps if c.valid] or reps
        groups.append(
            Group(
                scenario=scenario,
                task=reps[0].task,
                model=model,
                load=load,
                variant=variant,
                throughput=stats.median_interval([c.throughput for c in valid]),
                e2e_p50=stats.median_interval(
                    [c.e2e_ms.p50 for c in valid if c.e2e_ms.p50 is not None]
                ),
                e2e_p99=stats.median_interval(
                    [c.e2e_ms.p99 for c in valid if c.e2e_ms.p99 is not None]
                ),
                failed=sum(c.failed for c in reps),
                lost=sum(c.lost for c in reps),
                duplicate_deliveries=sum(c.duplicate_deliveries for c in reps),
                invalid_reps=sum(1 for c in reps if not c.valid),
            )
        )
    comparisons = []
    for (scenario, model, load, variant), reps in sorted(by.items()):
        taskiq = by.get((scenario, model, load, "taskiq"))
        if not variant.startswith("celery") or not taskiq:
            continue
        pairs = [(t, c) for t in taskiq for c in reps if t.rep == c.rep]
        p50 = [(t.e2e_ms.p50, c.e2e_ms.p50) for t, c in pairs]
        comparisons.append(
            Comparison(
                scenario=scenario,
                model=model,
                load=load,
                baseline=variant,
                throughput_ratio=stats.paired_ratio(
                    [t.throughput for t, _ in pairs], [c.throughput for _, c in pairs]
                ),
                e2e_p50_ratio=stats.paired_ratio(
                    [t or 0.0 for t, c in p50 if c], [c for _, c in p50 if c]
                ),
            )
        )
    return groups, comparisons

"""A fault cell: the steady load's window, and what the fault did: when it struck, how
long until a job started after it finished, what was refused, dead-lettered or left."""

import statistics

from bench import stats
from bench.analyse import load
from bench.analyse.cell import CellData, result
from bench.raw import Marks, read_posts
from bench.spec.faults import BY_NAME
from bench.summary import CellResult, FaultFigures
from core.contract import JobStatus

DEADLINE_FAILED = "deadline exceeded"  # core.lifecycle.overrun


def during(data: CellData, start: float, end: float) -> dict[str, object]:
    """What the fault did while it lasted: the API's refusals and latency, jobs still done."""
    posts = [p for p in read_posts(data.dir) if start <= float(p["t"]) <= end]
    refused = [float(p["t"]) for p in posts if p["status"] == "503"]
    latency = [float(p["latency_ms"]) for p in posts]
    finished = [float(j["finished"]) for j in data.done]
    return {
        "refused_during": len(refused) if posts else None,
        "first_refusal_s": round(min(refused) - start, 3) if refused else None,
        "post_p50_during_ms": stats.percentile(latency, 50),
        "post_p99_during_ms": stats.percentile(latency, 99),
        "post_max_during_ms": max(latency, default=None),
        "flowing_during": sum(1 for t in finished if start <= t <= end),
    }


def while_it_lasted(data: CellData, fault: str, start: float, end: float) -> dict[str, object]:
    """`during` for a fault that stays broken a while (an outage, an alarm, a lock, the time
    clients take to notice). An instant one (a kill, a drop: its injection takes
    milliseconds) has nothing to count: None, never a 0 that could not have been anything
    else."""
    spec = BY_NAME[fault]
    if (spec.lasts_s == 0 and spec.notice_bound_s == 0) or end <= start:
        return {"refused_during": None, "flowing_during": None}
    figures = during(data, start, end)
    if not spec.touches_api:  # nothing it did could refuse a POST
        figures |= {"refused_during": None, "first_refusal_s": None}
    return figures


def deadline_cuts(data: CellData) -> tuple[int, float | None]:
    """Rows failed at their deadline, and how long their last attempt ran."""
    cut = [j for j in data.jobs if DEADLINE_FAILED in (j["error"] or "")]
    lengths = [float(j["finished"]) - float(j["started"]) for j in cut if j["started"]]
    return len(cut), (round(statistics.median(lengths), 3) if lengths else None)


def consuming_after(marks: Marks) -> bool | None:
    """Workers on the queue after the fault: seen there, or not within the wait. A record
    without the wait looked once, the moment the queue drained: no consumer then may be a
    worker between two reconnect attempts, so it is not measured, not a NO."""
    if marks.consumers:
        return True
    return False if marks.consumers_limit_s is not None else None


def resumed(data: CellData, t_fault: float) -> float | None:
    """From the strike to the first completion of a job accepted after it."""
    after = [
        float(j["finished"])
        for j in data.jobs
        if j["status"] == JobStatus.done and float(j["enqueued"]) >= t_fault
    ]
    return round(min(after) - t_fault, 3) if after else None


def figures(data: CellData) -> FaultFigures:
    record, marks = data.record, data.record.marks
    t_fault, t_done = marks.t_fault, marks.t_fault_done
    recovery = None
    if t_fault is not None and t_done is not None:
        after = [
            float(j["finished"])
            for j in data.jobs
            if j["status"] == JobStatus.done and j["started"] and float(j["started"]) >= t_done
        ]
        recovery = round(min(after) - t_fault, 3) if after else None
    assert record.cell.fault is not None
    window = {}
    if t_fault is not None and t_done is not None:
        window = while_it_lasted(data, record.cell.fault, t_fault, t_done)
    failed_at_deadline, cut_at = deadline_cuts(data)
    return FaultFigures(
        fault=record.cell.fault,
        notes=marks.fault_notes,
        at_s=round(t_fault - marks.t_load_start, 2) if t_fault is not None else None,
        rejected_at_api=len(data.rows) - len(data.jobs),
        recovery_s=recovery,
        resumed_s=resumed(data, t_fault) if t_fault is not None else None,
        timings=marks.fault_timings,
        timing_bounds=marks.fault_bounds,
        dead_lettered=marks.dead_lettered or 0,
        left_in_queue=marks.left_in_queue or 0,
        consuming_after=consuming_after(marks),
        consumers_waited_s=marks.consumers_waited_s,
        consumers_limit_s=marks.consumers_limit_s,
        lasted_s=round(t_done - t_fault, 2) if t_fault is not None and t_done is not None else None,
        deadline_failed=failed_at_deadline,
        cut_at_s=cut_at,
        **window,
    )


def analyse(data: CellData) -> CellResult:
    return result(data, load.window(data), fault=figures(data))

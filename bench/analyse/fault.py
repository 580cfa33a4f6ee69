"""A fault cell: the steady load's window, and what the fault did: when it struck, how
long until a job started after it finished, what was refused, dead-lettered or left."""

from bench.analyse import load
from bench.analyse.cell import CellData, result
from bench.summary import CellResult, FaultFigures
from core.contract import JobStatus


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
    return FaultFigures(
        fault=record.cell.fault,
        notes=marks.fault_notes,
        at_s=round(t_fault - marks.t_load_start, 2) if t_fault is not None else None,
        rejected_at_api=len(data.rows) - len(data.jobs),
        recovery_s=recovery,
        dead_lettered=marks.dead_lettered or 0,
        left_in_queue=marks.left_in_queue or 0,
        consuming_after=(marks.consumers or 0) > 0,
    )


def analyse(data: CellData) -> CellResult:
    return result(data, load.window(data), figures(data))

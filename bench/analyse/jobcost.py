"""A job-cost cell: the in-process runner's own figures, one per level of jobs in flight."""

import json

from bench.analyse.cell import CellData
from bench.raw import JOBCOST_JSON
from bench.summary import JobCost


def analyse(data: CellData) -> list[JobCost]:
    return [
        JobCost(
            cell_id=data.record.cell_id,
            scenario=data.record.cell.scenario,
            concurrency=figures["concurrency"],
            jobs=figures["jobs"],
            cpu_ms_per_job=figures["cpu_ms_per_job"],
            jobs_per_s=figures["jobs_per_s"],
        )
        for figures in json.loads((data.dir / JOBCOST_JSON).read_text())
    ]

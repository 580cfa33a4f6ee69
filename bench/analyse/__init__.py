"""From a run's raw records to its versioned summary: one analyser per load model, then
each variant over repetitions and the paired Taskiq / Celery ratios. Reads bench/raw.py's
records only; writes bench/summary.py's Summary (and, given a second session of the profile,
replicate.py writes bench/replication.py's replication.json)."""

from pathlib import Path

from bench import stats
from bench.analyse import drain, fault, grouping, jobcost, load, tune
from bench.analyse.cell import CellData, result
from bench.raw import RunRecord, cell_dirs
from bench.spec.models import Model
from bench.summary import CellResult, JobCost, Summary


def analyse(cell_dir: Path) -> CellResult | list[JobCost]:
    data = CellData.read(cell_dir)
    match data.record.cell.model:
        case Model.jobcost:
            return jobcost.analyse(data)
        case Model.fault:
            return fault.analyse(data)
        case Model.drain:
            return result(data, drain.window(data))
        case Model.latency:
            return result(data, *load.arrivals(data))
    return result(data, load.window(data))


def message_sizes(cells: list[CellResult]) -> dict[str, int] | str:
    """Body size of a job message per backend, as taken off the queue in drain cells."""
    sizes = {c.backend: c.message_bytes for c in cells if c.message_bytes is not None}
    return sizes or "not measured (no drain cell)"


def summarise(run_dir: Path, margin: float | None = None) -> Summary:
    """The run's summary, from its raw records alone (run.json and every cell's); `margin`
    replaces the run's own margin of practical equivalence."""
    run = RunRecord.load(run_dir)
    if margin is None:
        recorded = run.ledger.get("practical_margin", stats.PRACTICAL_MARGIN)
        margin = float(recorded) if isinstance(recorded, (int, float)) else stats.PRACTICAL_MARGIN
    found = [analyse(d) for d in cell_dirs(run_dir)]
    cells = [c for c in found if isinstance(c, CellResult)]
    summary = Summary(
        run_id=run.run_id,
        profile=run.profile,
        smoke=run.smoke,
        started=run.started,
        wall_s=run.wall_s or 0.0,
        ledger={**run.ledger, "message_body_bytes": message_sizes(cells)},
        environment=run.environment,
        not_run=run.not_run,
        margin=margin,
        cells=cells,
        jobcosts=[j for c in found if isinstance(c, list) for j in c],
        groups=grouping.groups(cells),
        comparisons=grouping.comparisons(cells),
        calibration=grouping.calibration(cells),
        distance=grouping.distance(cells),
        overheads=grouping.overheads(cells),
        tuned=tune.winners(cells),
        best=tune.best(cells),
    )
    summary.dump(run_dir)
    return summary

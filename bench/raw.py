"""The raw data a run writes and the analysis reads, in one place.

results/<run-id>/run.json is a `RunRecord` (the profile, the fairness ledger, the machine);
each cells/<cell-id>/cell.json is a `CellRecord` (what the plan asked for and the marks of
what happened, on Postgres's clock). Both are versioned and dumped and loaded by their own
class; a record an older harness wrote (no version) loads too, one of a version this
harness does not know is refused (bench/jsonfile.py). Beside cell.json sit the
per-job and per-sample CSVs whose names and columns are below.
"""

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from bench.jsonfile import JsonFile
from bench.spec.models import Model, Purpose
from bench.spec.variants import backend_of
from core.contract import Backend

RAW_VERSION = 5  # 3: latency cells (Cell.share, Marks.schedule_seed); 4: Marks.fault_timings;
# 5: a cell's own worker sizes (Cell.processes, Cell.slots: the tune), Cell.api_workers
RAW_VERSIONS = (1, 2, 3, 4, 5)  # what this harness reads (1: no version in cell.json, run.json)
JOBS_CSV, CALLS_CSV = "jobs.csv", "calls.csv"  # per job: the row; external calls per job id
SAMPLES_CSV, QUEUE_CSV = "samples.csv", "queue.csv"  # CPU/RSS per component; queue depth
LOCUST_STATS, JOBCOST_JSON = "locust_stats.csv", "jobcost.json"
# posts.<pid>.csv: every POST of a Locust process: t (sent), latency_ms, status, and for the
# latency model's arrivals scheduled (when it was due), late_ms (sent - scheduled; empty:
# never sent), id (the job's, when accepted)
POSTS_PREFIX = "posts"
JOB_COLUMNS = (
    *("id", "task", "status", "attempts", "duplicate_deliveries", "publishes"),
    *("enqueued", "first_started", "started", "finished", "error"),
)  # times in epoch seconds, Postgres's clock


class Cell(BaseModel):
    """One cell of the plan: variant x scenario x model x load x repetition."""

    model_config = ConfigDict(frozen=True)
    index: int
    variant: str
    scenario: str
    model: Model
    # users (closed, enqueue), jobs/s (open, enqueue-rate, fault); drain and jobcost: 0
    load: float
    rep: int
    fault: str | None = None
    prefetch: int | None = None  # messages reserved per worker process; None: the default
    processes: int | None = None  # worker processes; None: the run's (the tune sets its own)
    slots: int | None = None  # slots per process (threads, greenlets, async tasks); None: run's
    api_workers: int | None = None  # the API's uvicorn processes; None: one
    stage: str | None = None  # a tune's: coarse, confirm, final or latency (bench/run/tune.py)
    purpose: Purpose = Purpose.main
    bare: bool = False  # calibration: the harness's own instrumentation at its minimum
    rtt_ms: float | None = None  # network: the workers reach every service through the proxy
    # latency: the offered rate is this share of the slower drain rate, in this run, of this
    # variant and `against` (the variant it is paired with); `load` holds the rate once run
    share: float | None = None
    against: str | None = None

    @property
    def backend(self) -> Backend:
        return backend_of(self.variant)


class Marks(BaseModel):
    """What happened in a cell, in epoch seconds on Postgres's clock where a time."""

    t_load_start: float
    t_window_start: float | None = None  # drain: the counted window
    t_window_end: float | None = None
    t_measure_start: float | None = None  # closed, open, enqueue, fault: after the warm-up
    t_measure_end: float | None = None
    # latency: the arrivals' schedule (the generator's seed) and its start, epoch s on the
    # harness's clock
    schedule_seed: str | None = None
    t_schedule_start: float | None = None
    t_end: float | None = None
    t_fault: float | None = None  # when the fault struck
    t_fault_done: float | None = None
    backlog: int | None = None  # drain: jobs prefilled
    discarded: int | None = None  # jobs never started, deleted after the window
    message: dict[str, Any] | None = None  # one job message as RabbitMQ held it
    loop_lag: dict[str, Any] | None = None  # the API's event-loop lag over the cell
    fault_notes: list[str] = Field(default_factory=list)
    # What the strike saw, seconds after it ("workers reconnected", "new leader", ...);
    # None: not within the fault's bound
    fault_timings: dict[str, float | None] = Field(default_factory=dict)
    fault_bounds: dict[str, float] = Field(default_factory=dict)  # how long each was awaited
    api_publish_delay_ms: int | None = None
    left_in_queue: int | None = None  # fault cells, after the drain
    consumers: int | None = None
    # fault cells: the harness waited up to consumers_limit_s after the drain for the
    # workers to consume again (None: an older record, one look at the drain's end), and
    # consumers_waited_s of it (None: they were not back within the limit)
    consumers_limit_s: float | None = None
    consumers_waited_s: float | None = None
    dead_lettered: int | None = None
    # Components the harness could not see, with why: never counted as 0.
    not_measured: dict[str, str] = Field(default_factory=dict)
    rtt_measured: dict[str, float] | None = None  # network: a round trip through the proxy, ms


class CellRecord(JsonFile):
    FILE: ClassVar[str] = "cell.json"
    VERSIONS: ClassVar[tuple[int, ...]] = RAW_VERSIONS
    version: int = RAW_VERSION
    cell: Cell
    cell_id: str
    processes: int
    slots: int
    prefetch: int
    cpus: int
    marks: Marks

    @property
    def offered(self) -> float | None:
        return self.cell.load if self.cell.model.offered_rate else None

    @classmethod
    def load(cls, directory: Path) -> "CellRecord":
        path = directory / cls.FILE
        data = json.loads(path.read_text())
        cls.check_version(data, path)
        if "version" not in data:
            data = _from_v1(data, directory)
        return cls.model_validate(data)


def _from_v1(flat: dict[str, Any], cell_dir: Path) -> dict[str, Any]:
    """The flat cell.json of the first harness: the cell's fields and its marks side by side."""
    cell = {k: flat[k] for k in Cell.model_fields if k in flat}
    # Its "prefetch" is the one in force (the cell's own was written over): a sweep's only.
    cell["prefetch"] = flat.get("prefetch") if flat.get("purpose") == Purpose.sweep else None
    marks = {k: flat[k] for k in Marks.model_fields if k in flat}
    unseen = cell_dir / "not_measured.json"
    if unseen.exists():
        marks["not_measured"] = json.loads(unseen.read_text())
    keys = ("cell_id", "processes", "slots", "prefetch", "cpus")
    return {"version": 1, "cell": cell, **{k: flat[k] for k in keys}, "marks": marks}


class RunRecord(JsonFile):
    """What a run was: written when it starts, its wall time added when it ends."""

    FILE: ClassVar[str] = "run.json"
    VERSIONS: ClassVar[tuple[int, ...]] = RAW_VERSIONS
    version: int = RAW_VERSION
    run_id: str
    profile: str
    smoke: bool = False
    started: str
    wall_s: float | None = None  # None: the run did not finish
    ledger: dict[str, object] = Field(default_factory=dict)  # every fairness setting as used
    environment: dict[str, object] = Field(default_factory=dict)  # versions, CPUs, host
    not_run: dict[str, str] = Field(default_factory=dict)  # faults left out here, with why

    @classmethod
    def load(cls, directory: Path) -> "RunRecord":
        if (directory / cls.FILE).exists():
            return super().load(directory)
        # The first harness kept these in its summary.json only.
        old = json.loads((directory / "summary.json").read_text())
        keys = ("run_id", "profile", "smoke", "started", "wall_s", "ledger", "environment")
        return cls.model_validate({"version": 1, **{k: old[k] for k in keys if k in old}})


def cell_dirs(run_dir: Path) -> list[Path]:
    return sorted(d for d in (run_dir / "cells").iterdir() if (d / "cell.json").exists())


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def read_posts(cell_dir: Path) -> list[dict[str, str]]:
    """Every POST of the cell's Locust processes, in send order."""
    rows = [r for p in sorted(cell_dir.glob(f"{POSTS_PREFIX}.*.csv")) for r in read_rows(p)]
    return sorted(rows, key=lambda r: float(r["t"]))


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))

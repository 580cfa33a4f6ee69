"""A second session of a run's profile against the run: replication.json, written into the
first run's directory by `python -m bench publish ... --replicate <second run>`, with the
analysis's reading of the first run's verdicts in its light (bench/analyse/replicate.py).
The report renders it as it is."""

from typing import ClassVar

from pydantic import BaseModel, Field

from bench.jsonfile import JsonFile
from bench.summary import Comparison, Ratio

REPLICATION_VERSION = 2  # 2: the analysis's reading


class Replicated(BaseModel):
    """One Taskiq / Celery comparison as two sessions of the same profile read it."""

    scenario: str
    load: str  # in words: "drain", "latency 50%"
    mode: str
    figure: str  # "jobs/s" or "e2e p99"
    first: Ratio
    second: Ratio
    first_verdict: str  # the practical reading at the first run's margin
    second_verdict: str


class Reading(BaseModel):
    """The first run's verdicts as the two sessions say to read them."""

    # The first run's comparisons at once (no RTT), each ratio of a figure in `widen` on its
    # interval widened by that figure's tau; the others as measured.
    comparisons: list[Comparison]
    verdicts: int  # the first run's verdicts (decisions, not unsettled) on its own intervals
    reproduced: int  # how many of them the second run gave too
    # Where a figure is widened: the same two counts, both runs read on widened intervals
    widened_verdicts: int | None = None
    widened_reproduced: int | None = None


class Replication(JsonFile):
    """Does a second session of the profile reproduce the first's verdicts?"""

    FILE: ClassVar[str] = "replication.json"
    VERSIONS: ClassVar[tuple[int, ...]] = (1, REPLICATION_VERSION)
    version: int = REPLICATION_VERSION
    first_run: str
    second_run: str
    second_started: str
    margin: float
    rows: list[Replicated]
    # Per figure: the between-session SD of the log-ratios beyond what both sessions'
    # intervals allow (a moment estimate, 0 when they explain it), the comparisons whose two
    # sessions differ by more than their intervals allow at 95%, and whether that is more
    # than chance gives: then the first run's verdicts need their intervals widened by it.
    tau: dict[str, float] = Field(default_factory=dict)
    outside: dict[str, int] = Field(default_factory=dict)
    widen: dict[str, bool] = Field(default_factory=dict)
    # None: written by an older harness; the analysis reads it again before any report
    reading: Reading | None = None

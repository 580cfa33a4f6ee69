"""The tune (bench/run/tune.py): what its stages plan from the rates before them, and a real
tune of the sleep probe, whose configurations reach the workers (a job never runs beside more
jobs than its configuration has slots) and whose winner is the one with the most slots."""

import dataclasses
import statistics
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.analyse.tune import best, winners
from bench.raw import Cell, CellRecord, read_rows
from bench.run import tune
from bench.run.plan import plan
from bench.spec.models import Model, Purpose
from bench.spec.profiles import PROFILES
from bench.spec.tune import SPACE, Config, Stage, parse
from bench.summary import CellResult, Summary
from tests.bench.test_report import make_cell
from tests.helpers.bench import bench_run, most_at_once

TUNE = PROFILES["tune"]
pytestmark = pytest.mark.timeout(600)  # the real tune's fixture: its run is the first test's


def test_a_label_reads_back_as_its_configuration() -> None:
    for config in (c for space in SPACE.values() for c in space):
        assert parse(config.label) == config
    with pytest.raises(ValueError, match="at least 1"):
        parse("taskiq@2x0 q4")


def test_the_coarse_pass_drains_every_configuration_of_each_job_once() -> None:
    cells = plan(TUNE)
    wanted = {(s, c) for s in TUNE.scenarios for c in TUNE.space if c.variant in TUNE.variants}
    got = [(c.scenario, tune.config_of(c)) for c in cells]
    assert sorted(got) == sorted(wanted) and len(got) == len(set(got))
    assert {c.rep for c in cells} == {0} and {c.purpose for c in cells} == {Purpose.tune}
    assert "celery-gevent" not in {c.variant for c in cells}  # searched only when asked
    first = [c.backend for c in cells[:6]]  # the backends take turns, not one then the other
    assert len(set(first)) == 2


def rates_for(cells: list[Cell], rate: dict[Config, float]) -> dict[int, float]:
    return {c.index: rate[tune.config_of(c)] for c in cells}


def test_each_backends_best_are_confirmed_in_flipping_order_then_the_winners_latency() -> None:
    profile = dataclasses.replace(TUNE, scenarios=("price_order",), top=2, reps=3)
    coarse = plan(profile)
    rate = {tune.config_of(c): 100.0 + n for n, c in enumerate(coarse)}  # later ones faster
    rates = rates_for(coarse, rate)
    confirmed = next(tune.stages(profile, coarse, rates))
    by_backend: dict[str, list[Config]] = {}
    for c in coarse:
        by_backend.setdefault(c.backend, []).append(tune.config_of(c))
    best = {c for configs in by_backend.values() for c in configs[-2:]}  # the two fastest each
    assert {tune.config_of(c) for c in confirmed} == best
    assert [c.index for c in confirmed] == list(range(len(coarse), len(coarse) + 12))
    rep1, rep2 = ([tune.config_of(c) for c in confirmed if c.rep == r] for r in (1, 2))
    assert rep2 == rep1[::-1] and {c.rep for c in confirmed} == {1, 2, 3}
    assert {c.stage for c in confirmed} == {Stage.confirm}
    # The winner by its confirmed median, not its coarse rate: the slower one in coarse wins.
    winner = {b: configs[-2] for b, configs in by_backend.items()}
    rates |= {c.index: 1000.0 if tune.config_of(c) in winner.values() else 500.0
              for c in confirmed}  # fmt: skip
    won = tune.winners(profile, confirmed, rates)
    final = tune.final(profile, won, confirmed[-1].index + 1)
    assert {tune.config_of(c) for c in final} == set(winner.values())
    assert {c.rep for c in final} == set(range(4, 4 + profile.final_reps))
    pairs = [[tune.config_of(c) for c in final if c.rep == r] for r in (4, 5)]
    assert pairs[1] == pairs[0][::-1] and len(pairs[0]) == 2  # back to back, order flipping
    # Slower head to head than the runners-up were: still the winners (decided once), their
    # latency at half the median of all their confirming and final drains.
    rates |= {c.index: 200.0 for c in final}
    latency = tune.latency(profile, won, [*confirmed, *final], rates)
    assert {tune.config_of(c) for c in latency} == set(winner.values())
    assert {(c.model, c.load, c.share) for c in latency} == {(Model.latency, 100.0, 0.5)}


def drained(variant: str, stage: Stage, rep: int, jobs_s: float) -> CellResult:
    backend = "taskiq" if variant.startswith("taskiq") else "celery"
    return make_cell(("noop", "drain", 0.0), "taskiq", 0).model_copy(update={
        "variant": variant, "backend": backend, "purpose": Purpose.tune, "stage": stage,
        "rep": rep, "cell_id": f"{variant}-{rep}",
        "throughput": jobs_s, "completed": int(jobs_s * 10),
    })  # fmt: skip


def test_the_analysis_names_the_winner_the_runner_chose() -> None:
    a, b, t = "celery-threads@2x32 q32", "celery-threads@4x32 q32", "taskiq@2x32 q32"
    cells = [drained(v, Stage.coarse, 0, 100.0) for v in (a, b, t)]
    cells += [drained(a, Stage.confirm, r, 110.0 + r) for r in (1, 2, 3)]
    cells += [drained(b, Stage.confirm, r, 100.0 + r) for r in (1, 2, 3)]
    cells += [drained(t, Stage.confirm, r, 120.0) for r in (1, 2, 3)]
    # a's head-to-head drains are slower than b's confirming ones: a is still the winner
    cells += [drained(v, Stage.final, r, 90.0) for v in (a, t) for r in (4, 5, 6)]
    celery, taskiq = winners(cells)
    assert (celery.winner, celery.runner_up, celery.tried) == (a, b, 2)
    assert celery.over_runner_up.n == 3 and (celery.over_runner_up.point or 0) > 1.05
    assert (taskiq.winner, taskiq.runner_up) == (t, None)
    [pair] = best(cells)
    assert pair.celery == a and pair.throughput_ratio.n == 6  # confirming and final pairs


SLOTS = {"celery-threads@1x2 q2": 2, "celery-threads@1x6 q6": 6,
         "taskiq@1x2 q2": 2, "taskiq@1x6 q6": 6}  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine) -> Path:
    """A real tune of the sleep probe (100 ms a job): 2 or 6 slots, so 20 or 60 jobs/s."""
    return bench_run(
        tmp_path_factory.mktemp("results"), "tune", "--space", ",".join(SLOTS),
        *("--scenarios", "sleep", "--top", "2", "--reps", "2", "--final-reps", "2"),
        *("--window", "2",),
        *("--duration", "3", "--warmup", "1"),
    )  # fmt: skip


def test_each_cell_ran_its_own_configuration(run_dir: Path) -> None:
    summary = Summary.load(run_dir)
    for cell in summary.cells:
        record = CellRecord.load(run_dir / "cells" / cell.cell_id)
        assert cell.variant in SLOTS and record.slots == SLOTS[cell.variant]
        jobs = read_rows(run_dir / "cells" / cell.cell_id / "jobs.csv")
        assert 0 < most_at_once(jobs) <= SLOTS[cell.variant], cell.variant


def test_the_winner_is_the_configuration_with_more_slots(run_dir: Path) -> None:
    summary = Summary.load(run_dir)
    assert {(t.backend, t.winner, t.runner_up, t.tried) for t in summary.tuned} == {
        ("celery", "celery-threads@1x6 q6", "celery-threads@1x2 q2", 2),
        ("taskiq", "taskiq@1x6 q6", "taskiq@1x2 q2", 2),
    }
    for t in summary.tuned:  # 6 slots against 2 of a 100 ms sleep: about 3x
        assert t.over_runner_up.n == 2 and 2.4 < (t.over_runner_up.point or 0) < 3.3
    [best] = summary.best
    # paired over the confirming repetitions and the final ones, head to head
    assert best.celery == "celery-threads@1x6 q6" and best.throughput_ratio.n == 4
    latency = [c for c in summary.cells if c.model == Model.latency]
    assert {c.variant for c in latency} == {"celery-threads@1x6 q6", "taskiq@1x6 q6"}
    for c in latency:  # half the winner's own median rate over its drains after the coarse pass
        rates = [d.throughput for d in summary.cells if d.variant == c.variant
                 and d.stage in (Stage.confirm, Stage.final)]  # fmt: skip
        assert len(rates) == 4 and c.completed > 0
        assert c.offered == pytest.approx(0.5 * statistics.median(rates), abs=0.1)
    report = (run_dir / "report.md").read_text()
    for section in ("Best against best", "Capacity, estimated", "Every configuration tried"):
        assert f"## {section}" in report

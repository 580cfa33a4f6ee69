"""The benchmark starts each worker through the entry point users deploy with (`python -m
workers_celery`, `python -m workers_taskiq`) and changes only what bench/run/commands.py
names: the command each entry point then runs differs from the deployed one in nothing
else (an option given again is the later one, which wins)."""

import argparse

import pytest

import workers_celery.__main__ as celery_entry
import workers_taskiq.__main__ as taskiq_entry
from bench.run import commands
from bench.spec.variants import MINIMAL_TASKIQ, VARIANTS, Variant
from core.contract import Backend
from core.settings import Settings

SETTINGS = Settings(worker_processes=2, worker_slots=32)


def celery_resolved(argv: list[str]) -> list[str]:
    """What `python -m workers_celery <argv>` would exec, `python` aside."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("-A", "--app", default=celery_entry.APP)
    known, extra = parser.parse_known_args(argv)
    return celery_entry.command(SETTINGS, known.pool, known.app, extra)[1:]


def changes(deployed: list[str], benchmark: list[str]) -> tuple[set[str], set[str]]:
    return set(deployed) - set(benchmark), set(benchmark) - set(deployed)


def test_taskiq_runs_the_benchmark_tasks_and_quiet_logs() -> None:
    [ran] = commands.workers("taskiq", 2, 32, 1)
    assert ran[1:3] == ["-m", "workers_taskiq"]
    deployed = taskiq_entry.command(SETTINGS, taskiq_entry.TASKS, [])[1:]
    benchmark = taskiq_entry.command(SETTINGS, ran[ran.index("--tasks") + 1], ran[5:])[1:]
    assert changes(deployed, benchmark) == (
        {"workers_taskiq.tasks"},
        {"bench_service.taskiq_worker", "--log-level", "WARNING"},
    )


def test_celery_prefork_changes_only_what_the_module_says() -> None:
    [ran] = commands.workers("celery", 2, 32, 32)
    assert ran[1:3] == ["-m", "workers_celery"]
    left, added = changes(celery_resolved([]), celery_resolved(ran[3:]))
    assert left == {"workers_celery"}
    assert added == {"bench_service.celery_worker", "--loglevel=WARNING", "--without-mingle",
                     "--without-gossip", "--without-heartbeat", "--hostname=bench@%h"}  # fmt: skip


def test_celery_threads_reserve_the_same_prefetch_per_process_as_taskiq() -> None:
    ran = commands.workers("celery-threads", 2, 32, 2)
    assert len(ran) == 2  # WORKER_PROCESSES processes of WORKER_SLOTS threads
    benchmark = celery_resolved(ran[0][3:])
    left, added = changes(celery_resolved(["--pool=threads"]), benchmark)
    assert left == {"workers_celery"}  # and a later --prefetch-multiplier wins:
    assert [a for a in benchmark if a.startswith("--prefetch")][-1] == "--prefetch-multiplier=2"
    assert added == {"bench_service.celery_worker", "--loglevel=WARNING",
                     "--prefetch-multiplier=2", "--without-mingle", "--without-gossip",
                     "--without-heartbeat", "--hostname=bench-threads0@%h"}  # fmt: skip


def test_the_minimal_taskiq_worker_differs_only_in_its_broker_and_tasks() -> None:
    [ran] = commands.workers("taskiq-minimal", 2, 32, 1)
    deployed = taskiq_entry.command(SETTINGS, taskiq_entry.TASKS, [])[1:]
    assert changes(deployed, ran[1:]) == (
        {taskiq_entry.BROKER, taskiq_entry.TASKS},
        {MINIMAL_TASKIQ, "--log-level", "WARNING"},
    )


MEASURED_BRIDGES = [v for v in VARIANTS if not v.recommended and v.backend is Backend.celery]


@pytest.mark.parametrize("variant", MEASURED_BRIDGES)
def test_measured_bridges_run_their_own_app(variant: Variant) -> None:
    ran = commands.workers(variant.name, 2, 32, 1)[0]
    assert celery_resolved(ran[3:])[3] == variant.app  # -m celery -A <app>

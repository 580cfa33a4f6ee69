"""The benchmark runs each worker with the command users deploy (the registry's, which
the Makefile and compose are held to) and with only the changes bench/run/commands.py
names: nothing else in the command line differs."""

import pytest

from bench.run import commands
from bench.spec.variants import BY_NAME, VARIANTS, Variant, deploy_command


def changes(deployed: list[str], benchmark: list[str]) -> tuple[set[str], set[str]]:
    """(what the benchmark left out, what it added), `python -m` aside."""
    ran = benchmark[2:]  # python -m
    return set(deployed) - set(ran), set(ran) - set(deployed)


def test_taskiq_adds_the_benchmark_module_and_quiet_logs() -> None:
    deployed = deploy_command(BY_NAME["taskiq"], "2", "32")
    [ran] = commands.workers("taskiq", 2, 32, 1)
    assert changes(deployed, ran) == (set(), {"workers_taskiq.benchmark", "--log-level", "WARNING"})
    assert ran[2:].index("workers_taskiq.benchmark") < ran[2:].index("--workers")  # a module


def test_celery_prefork_changes_only_what_the_module_says() -> None:
    [ran] = commands.workers("celery", 2, 32, 32)
    left, added = changes(deploy_command(BY_NAME["celery"], "2", "32"), ran)
    assert left == {"-E", "--loglevel=INFO"}
    assert added == {"--loglevel=WARNING", "--pool=prefork", "--without-mingle",
                     "--without-gossip", "--without-heartbeat", "--include",
                     "workers_celery.benchmark", "--hostname=bench@%h"}  # fmt: skip


def test_celery_threads_reserve_the_same_prefetch_per_process_as_taskiq() -> None:
    ran = commands.workers("celery-threads", 2, 32, 2)
    assert len(ran) == 2  # WORKER_PROCESSES processes of WORKER_SLOTS threads
    left, added = changes(deploy_command(BY_NAME["celery-threads"], "2", "32"), ran[0])
    assert left == {"-E", "--loglevel=INFO", "--prefetch-multiplier=1"}
    assert added == {"--loglevel=WARNING", "--prefetch-multiplier=2", "--without-mingle",
                     "--without-gossip", "--without-heartbeat", "--include",
                     "workers_celery.benchmark", "--hostname=bench-threads0@%h"}  # fmt: skip


@pytest.mark.parametrize("variant", [v for v in VARIANTS if not v.recommended])
def test_measured_bridges_run_their_own_app_without_the_include(variant: Variant) -> None:
    ran = commands.workers(variant.name, 2, 32, 1)[0]
    assert ran[ran.index("-A") + 1] == variant.app
    assert "--include" not in ran  # their apps register the probes and hooks themselves

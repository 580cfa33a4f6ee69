"""The features' part of a report: the matrix (bench/spec/features.py), its figures from a
`python -m bench features` run where one is given, and that run's table per round."""

from typing import Any

from bench.report.blocks import Block, Heading, Para, Table
from bench.spec.features import FEATURES, Feature

BACKENDS = ("celery", "taskiq")
NO_PRIORITY = "not measured: quorum queues ignore priorities before RabbitMQ 4"


def feature_blocks(figures: dict[str, Any] | None) -> list[Block]:
    """The matrix; its measured column from `figures` (bench features' JSON) if given."""
    rows = [[f.name, f.celery, f.taskiq, f"`{f.test}`", measured(f, figures)] for f in FEATURES]
    return [
        Heading(2, "Features: what each backend does, and the test that proves it"),
        Para(
            "Built in: the library's own mechanism; package: an ecosystem package; ours: a "
            "small piece of this repo in the backend's idiom. Every feature of the service goes "
            "through the API and its `jobs` row (the native retries in examples/ keep no row: "
            "the service's own policy is tests/e2e/test_failures.py), and each test runs real "
            "RabbitMQ, Postgres and workers."
        ),
        Table(["feature", "Celery", "Taskiq", "test (both backends)", "measured"], rows),
    ]


def measured(feature: Feature, figures: dict[str, Any] | None) -> str:
    if feature.bench is None:
        return feature.figure
    if figures is None:
        return "`python -m bench features` measures it"
    per = {b: [r[b] for r in figures["rounds"]] for b in BACKENDS}
    if feature.bench == "delay":
        return "; ".join(
            f"{b}: a {figures['delay_s']:g} s delay starts p50 {ms(per[b], 'idle', 'p50_s')} / "
            f"p99 {ms(per[b], 'idle', 'p99_s')} late, idle"
            for b in BACKENDS
        )
    if all(r["priority"] is None for b in BACKENDS for r in per[b]):
        return NO_PRIORITY
    prio = {b: [r["priority"] for r in per[b]] for b in BACKENDS}
    return "; ".join(
        f"{b}: behind {figures['backlog_jobs']} jobs, queue wait p50 high "
        f"{seconds(prio[b], 'high')}, normal {seconds(prio[b], 'normal')}"
        for b in BACKENDS
    )


def span(values: list[float | None], unit: float, fmt: str) -> str:
    known = [v for v in values if v is not None]  # None: no job of that cell ran
    if not known:
        return "none ran"
    low, high = (format(f(known) * unit, fmt) for f in (min, max))
    return low if low == high else f"{low}-{high}"


def ms(rounds: list[dict[str, Any]], part: str, key: str) -> str:
    return span([r[part][key] for r in rounds], 1000, ".0f") + " ms"


def seconds(rounds: list[dict[str, Any]], part: str) -> str:
    return span([r[part]["p50_s"] for r in rounds], 1, ".2f") + " s"


COLUMNS = [
    ("delay idle p50", ("idle", "p50_s")),
    ("delay idle p99", ("idle", "p99_s")),
    ("delay behind backlog p50", ("backlog", "p50_s")),
    ("delay behind backlog p99", ("backlog", "p99_s")),
]


def rounds_blocks(figures: dict[str, Any]) -> list[Block]:
    """The run's figures per backend: each cell the rounds' values, in seconds."""
    head = ["backend", *(name for name, _ in COLUMNS), "queue wait high p50", "normal p50"]
    rows = []
    for backend in BACKENDS:
        rounds = [r[backend] for r in figures["rounds"]]
        cells = [values(rounds, part, key) for _, (part, key) in COLUMNS]
        prio = [r["priority"] for r in rounds]
        if all(p is None for p in prio):
            cells += [NO_PRIORITY] * 2
        else:
            cells += [values(prio, "high", "p50_s"), values(prio, "normal", "p50_s")]
        rows.append([backend, *cells])
    return [
        Heading(2, "The run's figures, per round"),
        Para(
            f"RabbitMQ {figures['rabbitmq']}; {figures['paced_jobs']} jobs delayed "
            f"{figures['delay_s']:g} s per cell, posted {1 / figures['pace_s']:.0f}/s; backlog "
            f"{figures['backlog_jobs']} price_order; seconds, one value per round."
        ),
        Table(head, rows),
    ]


def values(rounds: list[dict[str, Any]], part: str, key: str) -> str:
    return ", ".join(f"{r[part][key]:.3f}" for r in rounds if r[part][key] is not None)

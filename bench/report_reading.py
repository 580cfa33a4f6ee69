"""The plain-language "How to read this" section, generated from the figures."""

from collections import Counter
from dataclasses import dataclass

from bench.charts import group_key, load_label
from bench.report_format import (
    TIMES,
    Block,
    Bullets,
    Heading,
)
from bench.report_tables import Run, bottlenecks, known, value_text, verdict, where
from bench.results import Comparison


@dataclass
class Found:
    """One Taskiq / Celery comparison with its measured throughput ratio."""

    comp: Comparison
    median: float
    lo: float
    hi: float
    word: str


def found(run: Run) -> list[Found]:
    out = []
    for c in run.ordered_comparisons():
        k = known(c.throughput_ratio)
        if k:
            out.append(Found(c, *k, verdict(c.throughput_ratio)))
    return out


def how_to_read(run: Run) -> list[Block]:
    comps = found(run)
    said = Counter(f.word for f in comps)
    items = []
    if comps:
        items.append(
            f"Across {len(comps)} comparisons (scenario x model x load, Taskiq against each Celery "
            f"baseline): Taskiq faster in {said['Taskiq faster']}, Celery faster in "
            f"{said['Celery faster']}, no clear difference in {said['no clear difference']} "
            "(the 95% interval of the throughput ratio contains 1.0)."
        )
    else:
        items.append("No Taskiq/Celery comparison was recorded, so there is no verdict.")
    for scenario in run.scenarios:
        parts = [
            f"{f.word} at {load_label(f.comp.model, f.comp.load)} (Taskiq / {f.comp.baseline} "
            f"throughput {f.median:.2f}{TIMES}, interval {f.lo:.2f} to {f.hi:.2f})"
            for f in comps
            if f.comp.scenario == scenario
        ]
        if parts:
            items.append(f"{scenario}: " + "; ".join(parts) + ".")
    ahead = [f for f in comps if f.word == "Taskiq faster"]
    if ahead:
        best = max(ahead, key=lambda f: f.median)
        items.append(
            f"Largest Taskiq lead: {best.median:.2f}{TIMES} the throughput of "
            f"{best.comp.baseline} at {where(best.comp)}."
        )
    behind = [f for f in comps if f.word == "Celery faster" and f.median > 0]
    if behind:
        worst = min(behind, key=lambda f: f.median)
        items.append(
            f"Largest Celery lead: {worst.comp.baseline} does {1 / worst.median:.2f}{TIMES} "
            f"Taskiq's throughput at {where(worst.comp)}."
        )
    lat = [k for k in (known(f.comp.e2e_p50_ratio) for f in comps) if k]
    if lat:
        lower = sum(k[2] < 1 for k in lat)
        higher = sum(k[1] > 1 for k in lat)
        items.append(
            f"Median end-to-end latency (Taskiq / Celery): clearly lower for Taskiq in {lower}, "
            f"clearly higher in {higher}, overlapping in {len(lat) - lower - higher} of {len(lat)}."
        )
    trouble = [g for g in run.s.groups if g.failed or g.lost or g.duplicate_deliveries]
    for g in sorted(trouble, key=lambda g: (g.scenario, *group_key(g.model, g.load), g.variant)):
        items.append(
            f"{g.variant} at {g.scenario} {load_label(g.model, g.load)}: {g.failed} "
            f"failed, {g.lost} lost, {g.duplicate_deliveries} deliveries of finished jobs."
        )
    if run.s.groups and not trouble:
        items.append("No job failed or was lost, and no delivery found its job finished.")
    invalid = [c for c in run.s.cells if not c.valid]
    if invalid:
        was = "was" if len(invalid) == 1 else "were"
        items.append(
            f"{len(invalid)} of {len(run.s.cells)} cells {was} marked invalid (see the invalid "
            "cells table); the groups they belong to rest on fewer trustworthy repetitions."
        )
    near = [b for b in bottlenecks(run) if b.utilisation is not None and b.utilisation >= 0.9]
    if near:
        items.append(
            "At 90% or more of their slots/latency bound, where throughput is what the slots and "
            "the service time allow (a backend wins there only with more slots or faster jobs): "
            + "; ".join(f"{b.scenario} {b.load} {b.variant}" for b in near)
            + "."
        )
    reps = sorted({g.throughput.n for g in run.s.groups})
    if reps:
        items.append(
            f"Intervals are 95% bootstrap intervals of the median over {'/'.join(map(str, reps))} "
            "repetitions; with few repetitions they are rough, so read small ratios as noise."
        )
    ledger = {k.lower(): v for k, v in run.s.ledger.items()}
    names = {
        "WORKER_PROCESSES": ["worker_processes"],
        "WORKER_SLOTS": ["worker_slots", "taskiq_max_async_tasks"],
    }
    knobs = ", ".join(
        f"{name}={value_text(ledger[keys[0]])}"
        for name, options in names.items()
        if (keys := [k for k in options if k in ledger])
    )
    cpus = next(
        (run.s.environment[k] for k in ("cpu_count", "cpus") if k in run.s.environment), None
    )
    limits = [
        "One 2-core host"
        + (f" (this run: {value_text(cpus)} CPUs)" if cpus is not None else "")
        + ": more cores or hosts change which component saturates first.",
        "Loopback network: no real network latency or bandwidth limits between API, RabbitMQ, "
        "Postgres and workers.",
        "The API and the load generator share the machine with the workers and compete for CPU.",
        "Small payloads: large messages stress serialisation and the broker differently.",
        "A single RabbitMQ node: no clustering or quorum replication across hosts.",
        "Results depend on WORKER_PROCESSES and WORKER_SLOTS"
        + (f" (this run: {knobs})" if knobs else "")
        + "; other settings can reorder the backends.",
    ]
    return [
        Heading(2, "How to read this"),
        Bullets(items),
        Heading(3, "Where these numbers do not generalise"),
        Bullets(limits),
    ]

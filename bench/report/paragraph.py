"""The answer in words: one paragraph per fairness mode, generated from the verdicts
(throughput, CPU per job and e2e p99 under open load against the run's margin, then
memory), never written by hand."""

from collections import defaultdict
from collections.abc import Callable

from bench import stats
from bench.report.format import load_label, ratio
from bench.report.index import Run
from bench.report.latency import e2e_p99
from bench.report.memory import memory
from bench.spec.variants import Mode
from bench.summary import Comparison, Ratio

LEANER = ("Taskiq's workers use more CPU per job", "Taskiq's workers use less CPU per job")
LEANER_SYSTEM = (
    "The whole system (workers, API, RabbitMQ, Postgres) uses more CPU per job under Taskiq",
    "The whole system (workers, API, RabbitMQ, Postgres) uses less CPU per job under Taskiq",
)


def _where(comps: list[tuple[Comparison, Ratio]]) -> str:
    return "; ".join(f"{c.scenario} {load_label(c.model, c.load)} {ratio(r)}" for c, r in comps)


def _sorted_by(
    comps: list[Comparison],
    pick: Callable[[Comparison], Ratio | None],
    margin: float,
    words: tuple[str, str],
) -> dict[str, list[tuple[Comparison, Ratio]]]:
    out: dict[str, list[tuple[Comparison, Ratio]]] = defaultdict(list)
    for c in comps:
        r = pick(c)
        if r is None:  # not measured: said where the table shows it, never counted
            continue
        out[stats.practical_verdict(r, margin, *words)].append((c, r))
    return out


def _sentences(
    said: dict[str, list[tuple[Comparison, Ratio]]], words: tuple[str, str], margin: float,
    what: str,
) -> list[str]:  # fmt: skip
    out = []
    for word in words:
        if said.get(word):
            out.append(f"{word} by more than {margin:.0%} on {_where(said[word])}.")
    same = [
        c.scenario + " " + load_label(c.model, c.load)
        for c, _ in said.get("no practical difference", [])
    ]
    if same:
        out.append(
            f"No practical difference in {what} (within ±{margin:.0%}) on {', '.join(same)}."
        )
    rest = sum(len(v) for k, v in said.items() if k not in (*words, "no practical difference"))
    if rest:
        out.append(
            f"{rest} {what} comparison(s) settle nothing (too few pairs, or an interval "
            "across the margin)."
        )
    return out


def system_cpu(c: Comparison) -> Ratio | None:
    """None when the harness did not see every component (or an older summary)."""
    r = c.system_cpu_ratio
    return r if r is not None and r.n > 0 else None


def mode_paragraph(run: Run, mode: Mode) -> str:
    comps = [c for c in run.main_comparisons if c.mode == mode.key]
    margin = run.s.margin
    parts = [f"{mode.title.capitalize()} ({mode.celery} against taskiq):"]
    parts += _sentences(
        _sorted_by(comps, lambda c: c.throughput_ratio, margin, stats.FASTER),
        stats.FASTER,
        margin,
        "throughput",
    )
    parts += _sentences(
        _sorted_by(comps, lambda c: c.worker_cpu_ratio, margin, LEANER),
        LEANER,
        margin,
        "worker CPU per job",
    )
    parts += _sentences(
        _sorted_by(comps, system_cpu, margin, LEANER_SYSTEM),
        LEANER_SYSTEM,
        margin,
        "whole-system CPU per job",
    )
    latency = [c for c in run.latency_comparisons if c.mode == mode.key]
    parts += _sentences(
        _sorted_by(latency, e2e_p99, margin, stats.P99_LOWER),
        stats.P99_LOWER,
        margin,
        "end-to-end p99",
    )
    mem = {m.variant: m for m in memory(run)}
    celery, taskiq = mem.get(mode.celery), mem.get("taskiq")
    if celery and taskiq and celery.per_process and taskiq.per_process:
        parts.append(
            f"Memory: {mode.celery} workers peaked at {celery.per_process:.0f} MB per process, "
            f"taskiq at {taskiq.per_process:.0f} MB."
        )
    return " ".join(parts)

"""Two saved runs, cell by cell: for every (purpose, scenario, model, load, variant) both
ran, B / A of throughput and of CPU per job, paired by repetition, with the usual interval
and verdict. It reads their summaries only. Two runs made one after the other are not
interleaved: the host's drift between them is in every ratio, and the page says so."""

from collections.abc import Callable

from bench import stats
from bench.report.blocks import Block, Bullets, Heading, Para, Table
from bench.report.format import load_label, ratio
from bench.spec.variants import order_key
from bench.summary import CellResult, Ratio, Summary

Key = tuple[str, str, str, float, str, int, str | None]
FIGURES: dict[str, Callable[[CellResult], float | None]] = {
    "jobs/s": lambda c: c.throughput,
    "worker CPU ms/job": lambda c: c.cpu_ms_per_job.get("workers"),
    "API CPU ms/job": lambda c: c.cpu_ms_per_job.get("api"),
}


def _by_key(summary: Summary) -> dict[Key, dict[int, CellResult]]:
    found: dict[Key, dict[int, CellResult]] = {}
    for c in summary.cells:
        if c.valid and c.fault is None and not c.bare:
            key = (c.purpose, c.scenario, c.model, c.load, c.variant, c.prefetch, c.against)
            found.setdefault(key, {})[c.rep] = c
    return found


def paired(a: dict[int, CellResult], b: dict[int, CellResult], figure: str) -> Ratio:
    get = FIGURES[figure]
    reps = sorted(set(a) & set(b))
    pairs = [(get(b[r]), get(a[r])) for r in reps]
    kept = [(x, y) for x, y in pairs if x is not None and y is not None]
    return stats.paired_ratio([x for x, _ in kept], [y for _, y in kept])


def compare_blocks(a: Summary, b: Summary) -> list[Block]:
    ka, kb = _by_key(a), _by_key(b)
    common = sorted(
        set(ka) & set(kb), key=lambda k: (k[0], k[1], k[2], k[3], order_key(k[4]), k[6] or "")
    )
    rows = []
    for key in common:
        purpose, scenario, model, load, variant, prefetch, against = key
        versus = f" (vs {against})" if against else ""
        row = [purpose, scenario, load_label(model, load), variant + versus, str(prefetch)]
        for figure in FIGURES:
            r = paired(ka[key], kb[key], figure)
            row += [ratio(r), stats.verdict(r, "B higher", "B lower")]
        rows.append(row)
    headers = ["purpose", "scenario", "load", "variant", "prefetch"]
    for figure in FIGURES:
        headers += [f"{figure} B / A", "says"]
    only = [f"only in A: {len(set(ka) - set(kb))} groups", f"only in B: {len(set(kb) - set(ka))}"]
    return [
        Heading(1, f"queuebench compare: A {a.run_id} against B {b.run_id}"),
        Para(
            f"A: profile {a.profile}, started {a.started}; B: profile {b.profile}, started "
            f"{b.started}. Ratios are B / A, the geometric mean of the per-repetition ratios "
            f"(repetition r of A with repetition r of B) with a {stats.CONFIDENCE:.0%} "
            f"{stats.RATIO_METHOD}; a verdict needs {stats.MIN_PAIRS} pairs and an interval "
            "that excludes 1. The two runs were not interleaved: whatever the host did "
            "between them is in these ratios, which interleaved variants of one run avoid."
        ),
        Table(headers, rows, empty="The two runs have no cell in common."),
        Bullets(only),
    ]

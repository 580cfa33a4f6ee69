"""The first screen: per scenario and load model, Celery against Taskiq in each fairness
mode (jobs/s, the ratio with its interval, the verdict) and the forest plot of them all."""

from collections import Counter

from bench import stats
from bench.report import charts
from bench.report.blocks import Block, Bullets, Chart, Heading, Para, Table
from bench.report.charts import ForestRow
from bench.report.format import DASH, interval, load_label, ratio
from bench.report.index import Run
from bench.summary import Comparison

FASTER = ("Taskiq faster", "Celery faster")


def throughput_verdict(c: Comparison) -> str:
    return stats.verdict(c.throughput_ratio, *FASTER)


def headline(run: Run) -> list[str]:
    lines = []
    for mode in run.modes:
        comps = [c for c in run.main_comparisons if c.mode == mode.key]
        said = Counter(throughput_verdict(c) for c in comps)
        none = sum(n for word, n in said.items() if word.startswith("no verdict"))
        lines.append(
            f"{mode.title} ({mode.celery} vs taskiq), {len(comps)} comparisons: Taskiq "
            f"faster in {said[FASTER[0]]}, Celery faster in {said[FASTER[1]]}, no clear "
            f"difference in {said['no clear difference']}, no verdict (too few pairs) in {none}."
        )
    return lines


def answer_blocks(run: Run) -> list[Block]:
    if not run.modes:
        return [Heading(2, "The answer"), Para("No Taskiq / Celery comparison ran in this run.")]
    headers = ["scenario", "load"]
    groups = [("", "", 2)]
    for mode in run.modes:
        headers += [f"{mode.celery} jobs/s", "taskiq jobs/s", "taskiq / celery", "verdict"]
        groups.append((mode.title, f"{mode.title}: {mode.terms}", 4))
    rows, forest = [], []
    for key in run.loads():
        row = [key[0], load_label(key[1], key[2])]
        for mode in run.modes:
            comp = run.comparison(key, mode.key)
            celery = run.groups.get((*key, mode.celery))
            taskiq = run.groups.get((*key, "taskiq"))
            if comp is None or celery is None or taskiq is None:
                row += [DASH] * 4
                continue
            row += [interval(celery.throughput), interval(taskiq.throughput)]
            row += [ratio(comp.throughput_ratio), throughput_verdict(comp)]
            forest.append(
                ForestRow(
                    f"{key[0]} {load_label(key[1], key[2])} ({mode.key})",
                    mode.key,
                    comp.throughput_ratio,
                )
            )
        rows.append(row)
    n = sorted({c.throughput_ratio.n for c in run.main_comparisons})
    method = (
        "Throughput from the jobs table (completions in each cell's measured window). Per "
        "variant: median over repetitions [order-statistic interval; its coverage is in the "
        "cost table]. Taskiq / Celery: geometric mean of the per-repetition ratios (each pair "
        f"ran back to back) with a {stats.CONFIDENCE:.0%} {stats.RATIO_METHOD}, n = "
        f"{'/'.join(map(str, n))} pairs. A verdict needs at least {stats.MIN_PAIRS} pairs and "
        "an interval that excludes 1."
    )
    return [
        Heading(2, "The answer"),
        Bullets(headline(run)),
        Table(headers, rows, groups),
        Bullets([f"{mode.title}: {mode.terms}." for mode in run.modes]),
        Para(method),
        Chart(
            "forest",
            "Taskiq / Celery throughput, every comparison",
            charts.forest_chart(forest, "Taskiq / Celery throughput (interval; 1.0 = equal)"),
        ),
    ]

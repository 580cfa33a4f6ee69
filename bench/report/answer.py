"""The first screen: per scenario and load model, Celery against Taskiq in each fairness
mode (jobs/s, the ratio with its interval, the verdict) and the forest plot of them all."""

from bench import stats
from bench.report import charts
from bench.report.blocks import Block, Bullets, Chart, Heading, Para, Table
from bench.report.charts import ForestRow
from bench.report.format import DASH, NOT_MEASURED, interval, load_label, ratio
from bench.report.index import Run, widened_note
from bench.report.latency import latency_blocks
from bench.report.memory import memory_blocks
from bench.report.paragraph import mode_paragraph
from bench.summary import Comparison


def throughput_verdict(c: Comparison) -> str:
    """The statistical reading: does the interval exclude 1?"""
    return stats.verdict(c.throughput_ratio, *stats.FASTER)


def practical(c: Comparison, margin: float) -> str:
    """The reading to act on: does the interval clear 1 +/- the margin?"""
    return stats.practical_verdict(c.throughput_ratio, margin, *stats.FASTER)


def headline(run: Run) -> list[str]:
    return [mode_paragraph(run, mode) for mode in run.modes]


def nothing_compared(run: Run) -> list[Block]:
    by_distance = any(c.rtt_ms is not None for c in run.s.comparisons)
    said = (
        'This run compared Taskiq and Celery at a distance only: its answer is in "The '
        'answer by distance" below.'
        if by_distance
        else "No Taskiq / Celery comparison ran in this run."
    )
    return [Heading(2, "The answer"), Para(said)]


PER_MODE = 6  # columns per fairness mode


def answer_table(run: Run) -> tuple[Table, list[ForestRow]]:
    """Per scenario and load, each mode's jobs/s, ratio and both readings; the forest rows."""
    headers = ["scenario", "load"]
    groups = [("", "", 2)]
    for mode in run.modes:
        headers += [f"{mode.celery} jobs/s", "taskiq jobs/s", "taskiq / celery"]
        headers += [f"verdict (±{run.s.margin:.0%})", "interval vs 1"]
        headers += ["CPU/job, whole system: taskiq / celery"]
        groups.append((mode.title, f"{mode.title}: {mode.terms}", PER_MODE))
    rows, forest = [], []
    for key in run.loads():
        row = [key[0], load_label(key[1], key[2])]
        for mode in run.modes:
            comp = run.comparison(key, mode.key)
            celery = run.groups.get((*key, mode.celery))
            taskiq = run.groups.get((*key, "taskiq"))
            if comp is None or celery is None or taskiq is None:
                row += [DASH] * PER_MODE
                continue
            row += [interval(celery.throughput), interval(taskiq.throughput)]
            row += [ratio(comp.throughput_ratio), practical(comp, run.s.margin)]
            row.append(throughput_verdict(comp))
            system = comp.system_cpu_ratio  # None: a summary from before version 4
            row.append(DASH if system is None else ratio(system) if system.n else NOT_MEASURED)
            label = f"{key[0]} {load_label(key[1], key[2])} ({mode.key})"
            forest.append(ForestRow(label, mode.key, comp.throughput_ratio))
        rows.append(row)
    return Table(headers, rows, groups), forest


def method_note(run: Run) -> str:
    n = sorted({c.throughput_ratio.n for c in run.main_comparisons})
    return (
        "Throughput from the jobs table (completions in each cell's measured window). Per "
        "variant: median over repetitions [order-statistic interval; its coverage is in the "
        "cost table]. Taskiq / Celery: geometric mean of the per-repetition ratios (each pair "
        f"ran back to back) with a {stats.CONFIDENCE:.0%} {stats.RATIO_METHOD}, its SD "
        "never below the resolution of a count (one job per window), n = "
        f'{"/".join(map(str, n))} pairs. Two readings: "interval vs 1" is the statistical '
        "one (an interval that excludes 1); the verdict is the practical one, which needs the "
        f"whole interval beyond ±{run.s.margin:.0%} (the run's margin of practical "
        'equivalence, `--margin`) and says "no practical difference" when the interval lies '
        f"inside it. Both need at least {stats.MIN_PAIRS} pairs." + widened_note(run, "jobs/s")
    )


def answer_blocks(run: Run) -> list[Block]:
    if not run.modes:
        return nothing_compared(run)
    table, forest = answer_table(run)
    return [
        Heading(2, "The answer"),
        Bullets(headline(run)),
        table,
        Bullets([f"{mode.title}: {mode.terms}." for mode in run.modes]),
        Para(method_note(run)),
        Chart(
            "forest",
            "Taskiq / Celery throughput, every comparison",
            charts.forest_chart(
                forest, "Taskiq / Celery throughput (interval; 1.0 = equal)", run.s.margin
            ),
        ),
        *latency_blocks(run),
        *memory_blocks(run),
    ]

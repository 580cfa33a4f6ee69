""" "Why": what each job costs per component, how much of a worker's CPU per job is the
job's own and how much the queue path, what bound each variant, and what the harness
itself costs."""

import statistics
from collections import Counter

from bench import stats
from bench.report.blocks import Block, Bullets, Heading, Para, Table
from bench.report.format import DASH, NOT_MEASURED, interval, load_label, num, ratio
from bench.report.index import Run
from bench.spec.models import Model, Purpose
from bench.spec.variants import BY_NAME
from bench.summary import COST_COMPONENTS, SYSTEM, Group, Ratio

CPU_SAYS = ("Taskiq costs more", "Taskiq costs less")
NO_MAIN_CELLS = "No throughput cell ran in this run (only the cells listed below), so no cost."
OBSERVER_LIMIT = 0.10  # the harness's drain may differ from a bare drain by this much


def coverage(g: Group) -> str:
    c = g.throughput.coverage
    return f"{c:.1%}" if c is not None else DASH


def cost_cell(g: Group, component: str) -> str:
    parts = COST_COMPONENTS if component == SYSTEM else (component,)
    if any(c in g.not_measured for c in parts):
        return NOT_MEASURED
    return interval(g.cpu_ms_per_job[component]) if component in g.cpu_ms_per_job else DASH


def cost_blocks(run: Run) -> list[Block]:
    headers = ["scenario", "load", "variant", "reps", "jobs/s", "interval coverage"]
    headers += [f"CPU ms/job {c}" for c in COST_COMPONENTS]
    headers += ["CPU ms/job whole system", "worker RSS peak MB"]
    rows = []
    for key in run.loads():
        for g in run.variants(key):
            cost = [cost_cell(g, c) for c in (*COST_COMPONENTS, SYSTEM)]
            head = [key[0], load_label(key[1], key[2]), g.variant, str(g.throughput.n)]
            rows.append(
                [*head, interval(g.throughput), coverage(g), *cost, interval(g.worker_rss_mb)]
            )
    blocks: list[Block] = [
        Heading(3, "Cost per job"),
        Para(
            "CPU milliseconds per completed job (= CPU-seconds per 1000 jobs), per component, "
            "over each cell's measured window; CPU time is counted from every process of the "
            "component, not sampled as a percentage. Far steadier than jobs/s on a shared host. "
            "The whole system is the four together, only where the harness saw all four: "
            "RabbitMQ and Postgres are every process of theirs on the host (anything else "
            "they serve meanwhile counts, the same for both backends), and in a drain the "
            "backlog is posted before the window opens, so enqueueing is not in it."
        ),
        Table(headers, rows, empty=NO_MAIN_CELLS),
    ]
    unseen = {k: v for g in run.s.groups for k, v in g.not_measured.items()}
    if unseen:
        blocks.append(Bullets([f"{k}: {v}" for k, v in sorted(unseen.items())]))
    return blocks + cpu_ratio_blocks(run)


def cpu_ratio_cells(r: Ratio | None, whole_system: bool) -> list[str]:
    if r is not None and r.n == 0 and whole_system:  # a component the harness could not see
        return [NOT_MEASURED, DASH]
    return [ratio(r), stats.verdict(r, *CPU_SAYS)] if r else [DASH, DASH]


def cpu_ratio_blocks(run: Run) -> list[Block]:
    """Taskiq / Celery CPU per job per fairness mode: the workers, then the whole system."""
    if not run.modes:
        return []
    rows = []
    for key in run.loads():
        row = [key[0], load_label(key[1], key[2])]
        for mode in run.modes:
            comp = run.comparison(key, mode.key)
            row += cpu_ratio_cells(comp.worker_cpu_ratio if comp else None, False)
            row += cpu_ratio_cells(comp.system_cpu_ratio if comp else None, True)
        rows.append(row)
    heads = ["scenario", "load"]
    for mode in run.modes:
        pair = f"{mode.title}: taskiq / {mode.celery}"
        heads += [f"{pair}, workers", "says", f"{pair}, whole system", "says"]
    return [
        Para(
            "CPU per job, Taskiq / Celery, paired by repetition: the workers alone, and the "
            "whole system (workers, API, RabbitMQ and Postgres), where a backend's broker "
            "and database work shows:"
        ),
        Table(heads, rows),
    ]


def job_cost(run: Run, scenario: str, concurrency: int) -> float | None:
    found = [
        j.cpu_ms_per_job
        for j in run.s.jobcosts
        if j.scenario == scenario and j.concurrency == concurrency
    ]
    present = [v for v in found if v is not None]
    return statistics.median(present) if present else None


def decomposition_blocks(run: Run) -> list[Block]:
    if not run.s.jobcosts:
        return []
    loads = sorted({j.concurrency for j in run.s.jobcosts})
    costs = [
        [j.scenario, str(j.concurrency), str(j.jobs), num(j.cpu_ms_per_job), num(j.jobs_per_s)]
        for j in sorted(
            run.s.jobcosts,
            key=lambda j: (
                run.scenarios.index(j.scenario) if j.scenario in run.scenarios else 99,
                j.concurrency,
            ),
        )
    ]
    return [
        Heading(3, "The job's own cost and the queue path"),
        Para(
            "Each scenario's job run in one process through core.lifecycle, with no queue "
            "(python -m bench.run.loads.jobcost), at "
            f"{' and '.join(map(str, loads))} jobs in flight:"
        ),
        Table(["scenario", "in flight", "jobs", "CPU ms/job", "jobs/s"], costs),
        Para(
            "A drain's worker CPU per job, split: the job's own cost (in-process at 1 in flight "
            "for prefork, which runs one job per process, else at the most in flight) and the "
            "rest: the queue path (receiving, decoding, acknowledging, the library's machinery)."
        ),
        Table(
            ["scenario", "variant", "worker CPU ms/job", "job's own", "queue path", "queue share"],
            split_rows(run, loads),
            empty="No drain ran beside the job-cost cells, so there is nothing to split.",
        ),
    ]


def split_rows(run: Run, loads: list[int]) -> list[list[str]]:
    """A drain's worker CPU per job against the job's own cost at the matching load."""
    rows = []
    for key in run.loads():
        if key[1] != Model.drain:
            continue
        for g in run.variants(key):
            worker = g.cpu_ms_per_job.get("workers")
            one_at_a_time = g.variant in BY_NAME and BY_NAME[g.variant].prefork
            own = job_cost(run, key[0], min(loads) if one_at_a_time else max(loads))
            if worker is None or worker.median is None or own is None:
                continue
            queue = worker.median - own
            rows.append([key[0], g.variant, num(worker.median), num(own), num(queue),
                         f"{queue / worker.median:.0%}"])  # fmt: skip
    return rows


def bottleneck_blocks(run: Run) -> list[Block]:
    rows = []
    for key in run.loads():
        for g in run.variants(key):
            cells = [c for c in run.cells(key, g.variant) if c.valid] or run.cells(key, g.variant)
            names = Counter(c.bound.bottleneck for c in cells)
            top = min(names, key=lambda n: (-names[n], n))
            utils = [c.bound.utilisation for c in cells if c.bound.utilisation is not None]
            bounds = [c.bound.slots_bound for c in cells if c.bound.slots_bound is not None]
            util = (
                f"{statistics.median(utils):.0%} of {num(statistics.median(bounds))} jobs/s"
                if utils and bounds
                else DASH
            )
            rows.append([key[0], load_label(key[1], key[2]), g.variant, top, util])
    return [
        Heading(3, "Bottleneck"),
        Para(
            "The slots/latency bound is slots in flight / median service time: what the "
            "variant could complete at most; near 100% it is slot-bound, well below it "
            "something else (CPU, the broker, the database, the offered load) held it back."
        ),
        Table(
            ["scenario", "load", "variant", "bottleneck", "throughput vs slots/latency bound"],
            rows,
            empty=NO_MAIN_CELLS,
        ),
    ]


def calibration_blocks(run: Run) -> list[Block]:
    if not run.s.calibration:
        return []
    rows = []
    for c in run.s.calibration:
        p = c.ratio.point
        within = DASH if p is None else ("yes" if abs(p - 1) <= OBSERVER_LIMIT else "NO")
        rows.append(
            [
                c.backend,
                c.scenario,
                interval(c.bare),
                interval(c.instrumented),
                ratio(c.ratio),
                within,
            ]
        )
    return [
        Heading(3, "The observer"),
        Para(
            "The same drain with the harness's instrumentation at its minimum (no sampler, no "
            "live progress, polling the jobs table once a second) and as used for every other "
            f"cell, paired by repetition. Within {OBSERVER_LIMIT:.0%} means the harness's own "
            "sampling, logging and progress do not move the figures it reports."
        ),
        Table(
            [
                "backend",
                "scenario",
                "bare jobs/s",
                "instrumented jobs/s",
                "instrumented / bare",
                f"within {OBSERVER_LIMIT:.0%}",
            ],
            rows,
        ),
    ]


SWEEP_HEADERS = [
    "variant",
    "prefetch per process",
    "reps",
    "interval coverage",
    "jobs/s",
    "worker CPU ms/job",
]


def sweep_blocks(run: Run) -> list[Block]:
    sweep = sorted(
        (g for g in run.s.groups if g.purpose == Purpose.sweep),
        key=lambda g: (g.variant, g.prefetch),
    )
    if not sweep:
        return []
    rows = [
        [
            g.variant,
            str(g.prefetch),
            str(g.throughput.n),
            coverage(g),
            interval(g.throughput),
            interval(g.cpu_ms_per_job["workers"]) if "workers" in g.cpu_ms_per_job else DASH,
        ]
        for g in sweep
    ]
    return [
        Heading(3, "How much is configuration: the prefetch sweep"),
        Para(
            f"{sweep[0].scenario} drains at several prefetch values (messages reserved per worker "
            "process: Celery prefork's multiplier, Taskiq's qos, which also caps its tasks in "
            "flight when lower than its slots). Median [order-statistic interval] over the "
            "repetitions, with that interval's coverage."
        ),
        Table(SWEEP_HEADERS, rows),
    ]


def why_blocks(run: Run) -> list[Block]:
    return [
        Heading(2, "Why"),
        *cost_blocks(run),
        *decomposition_blocks(run),
        *bottleneck_blocks(run),
        *calibration_blocks(run),
        *sweep_blocks(run),
    ]

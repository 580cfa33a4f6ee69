"""A scaling run's report (the scale profile): each pool's jobs/s and CPU per job at 1, 2, 4
and 8 worker processes, with charts, and the API's enqueue at 1, 2 and 4 processes."""

import statistics

from bench.report.blocks import Block, Chart, Heading, Para, Table
from bench.report.charts import ScaleLine, scale_chart
from bench.report.format import DASH, interval, num
from bench.spec.models import Model, Purpose
from bench.spec.tune import SEPARATOR, base_variant, parse
from bench.spec.variants import order_key
from bench.summary import NO_INTERVAL, SYSTEM, Group, Interval, Summary


def _drains(s: Summary) -> list[Group]:
    return [g for g in s.groups if g.purpose == Purpose.scale and g.model == Model.drain]


def line_of(label: str) -> str:
    """'taskiq@4x32 q32' -> 'taskiq@Px32 q32': a pool at its slots, any number of processes."""
    c = parse(label)
    return f"{c.variant}{SEPARATOR}Px{c.slots} q{c.prefetch}"


def _lines(groups: list[Group], figure: str) -> dict[str, list[ScaleLine]]:
    """Per job, a line per pool and slots: (processes, the figure) in order of processes."""
    panels: dict[str, list[ScaleLine]] = {}
    for job in dict.fromkeys(g.scenario for g in groups):
        mine = [g for g in groups if g.scenario == job]
        for line in sorted({line_of(g.variant) for g in mine}, key=order_key):
            points = sorted(
                ((parse(g.variant).processes, _figure(g, figure))
                 for g in mine if line_of(g.variant) == line),
                key=lambda point: point[0],
            )  # fmt: skip
            panels.setdefault(job, []).append(ScaleLine(line, points))
    return panels


def _figure(g: Group, figure: str) -> Interval:
    if figure == "jobs/s":
        return g.throughput
    return g.cpu_ms_per_job.get(figure) or NO_INTERVAL


def _table(panels: dict[str, list[ScaleLine]], what: str) -> Table:
    counts = sorted({p for lines in panels.values() for line in lines for p, _ in line.points})
    rows = []
    for job, lines in panels.items():
        for line in lines:
            at = dict(line.points)
            rows.append([job, line.variant, *(interval(at[n]) if n in at else DASH
                                              for n in counts)])  # fmt: skip
    return Table(["job", "pool", *(f"{what} at {n}" for n in counts)], rows)


def drain_blocks(s: Summary) -> list[Block]:
    groups = _drains(s)
    if not groups:
        return []
    cpus = s.environment.get("cpus")
    most = max(parse(g.variant).processes for g in groups)
    per_core = f"{most / cpus:g}" if isinstance(cpus, int) and cpus else "?"
    jobs, cost = _lines(groups, "jobs/s"), _lines(groups, SYSTEM)
    return [
        Heading(2, "Scaling with worker processes"),
        Para(
            "Each pool at fixed slots per process (P processes x slots, q the messages each "
            "reserves), drained at each number "
            f"of processes in interleaved repetitions. This host has {cpus or '?'} CPUs, shared "
            f"by the workers, the API, RabbitMQ and Postgres: {most} processes oversubscribe it "
            f"{per_core} to a core. What transfers to a "
            "larger host is the shape up to the core count and the CPU per job (a process "
            "costs the same wherever it runs); where a curve flattens here is this host's "
            "limit, not the library's."
        ),
        _table(jobs, "jobs/s"),
        Chart("throughput", "jobs/s by worker processes", scale_chart(
            jobs, "jobs/s (median, interval)", "Drain throughput by worker processes")),
        _table(cost, "CPU ms/job, whole system"),
        Chart("usage", "CPU per job by worker processes", scale_chart(
            cost, "CPU ms per job, whole system", "CPU per job by worker processes")),
    ]  # fmt: skip


def parse_api(label: str) -> int:
    """'taskiq@2 API processes' -> 2."""
    return int(label.partition(SEPARATOR)[2].split()[0])


def api_blocks(s: Summary) -> list[Block]:
    groups = [g for g in s.groups if g.purpose == Purpose.scale and g.model == Model.enqueue]
    rows = []
    for g in sorted(
        groups, key=lambda g: (order_key(base_variant(g.variant)), parse_api(g.variant))
    ):
        cells = [c for c in s.cells if c.variant == g.variant and c.valid]
        locust = [c.usage["locust"].cpu_pct for c in cells if "locust" in c.usage]
        api = g.cpu_ms_per_job.get("api")
        rows.append([
            base_variant(g.variant), str(parse_api(g.variant)),
            interval(g.throughput), interval(api) if api else DASH,
            num(statistics.median(locust)) if locust else DASH,
        ])  # fmt: skip
    if not rows:
        return []
    return [
        Heading(2, "The API's enqueue by uvicorn processes"),
        Para(
            "16 Locust users posting back to back, no worker running: jobs accepted per "
            "second. Locust's CPU is beside it: near 100% of a core, the generator, not the "
            "API, was the limit."
        ),
        Table(
            ["publishes for", "API processes", "accepted jobs/s", "API CPU ms/job", "Locust CPU %"],
            rows,
        ),
    ]


def scale_blocks(s: Summary) -> list[Block]:
    """The scaling sections; none for a run without scaling cells."""
    return [*drain_blocks(s), *api_blocks(s)]

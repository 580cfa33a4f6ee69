"""The answer by distance: the network cells drained each scenario with the workers behind
the delay proxy, at each RTT, 0 ms (the proxy without a delay) as the control. Per
fairness mode the Taskiq / Celery ratio at each RTT, per variant its throughput against its
own 0 ms control, the RTT asked against the one measured, and what the proxy itself cost."""

import statistics

from bench import stats
from bench.report import charts
from bench.report.blocks import Block, Chart, Heading, Para, Table
from bench.report.format import DASH, interval, num, ratio
from bench.spec.models import Purpose
from bench.spec.variants import MODES, order_key
from bench.summary import Group, Summary

SLOWER = ("faster", "slower")


def _groups(summary: Summary) -> dict[tuple[str, str, float], Group]:
    return {
        (g.scenario, g.variant, g.rtt_ms): g
        for g in summary.groups
        if g.purpose == Purpose.network and g.rtt_ms is not None
    }


def _measured(summary: Summary, rtt: float) -> str:
    """The median round trip through the proxy at this RTT, per service."""
    seen: dict[str, list[float]] = {}
    for c in summary.cells:
        if c.purpose == Purpose.network and c.rtt_ms == rtt and c.rtt_measured:
            for service, ms in c.rtt_measured.items():
                seen.setdefault(service, []).append(ms)
    return ", ".join(f"{s} {statistics.median(v):.2f}" for s, v in sorted(seen.items())) or DASH


INTRO = (
    "Every scenario drained with the workers reaching Postgres, RabbitMQ and the stub through "
    "the harness's delay proxy (netdelay), which adds half the RTT each way; 0 ms is the same "
    "proxy without a delay, the control; the API's own path is direct. Taskiq / Celery is "
    "paired by repetition at each RTT, with the verdict rule of the answer above."
)
MEASURED = (
    "A round trip through the proxy, measured each time it started with the workers' own "
    "clients (asyncpg SELECT 1, aio-pika queue.declare, httpx GET), median ms per service; "
    "the proxy's CPU is its own component in each cell's cost."
)


def distance_blocks(summary: Summary) -> list[Block]:
    groups = _groups(summary)
    if not groups:
        return []
    rtts = sorted({k[2] for k in groups})
    blocks: list[Block] = [Heading(2, "The answer by distance"), Para(INTRO)]
    lines = []
    for mode in MODES:
        rows, found = _mode_rows(summary, groups, rtts, mode.key, mode.celery)
        lines += found
        heads = ["scenario", "RTT ms", f"{mode.celery} jobs/s", "taskiq jobs/s"]
        blocks += [
            Heading(3, f"{mode.title}: {mode.celery} vs taskiq"),
            Table(
                [*heads, "taskiq / celery", f"verdict (±{summary.margin:.0%})", "interval vs 1"],
                rows,
            ),
        ]
    chart = charts.distance_chart(lines, "Taskiq / Celery throughput against the RTT")
    return [
        *blocks,
        Chart("distance", "Taskiq / Celery against RTT", chart),
        Heading(3, "What the distance does to each variant"),
        Para("Each variant's throughput at an RTT against its own 0 ms control, paired:"),
        Table(["scenario", "variant", "RTT ms", "at RTT / at 0 ms", "says"], _slowdown(summary)),
        Heading(3, "The proxy: asked and measured, and its cost"),
        Para(MEASURED),
        Table(["RTT asked ms", "measured ms", "proxy CPU ms/job"], _proxy_rows(summary, rtts)),
    ]


def _mode_rows(
    summary: Summary,
    groups: dict[tuple[str, str, float], Group],
    rtts: list[float],
    mode: str,
    celery_variant: str,
) -> tuple[list[list[str]], list[charts.DistanceLine]]:
    comps = {(c.scenario, c.mode, c.rtt_ms): c for c in summary.comparisons if c.rtt_ms is not None}
    rows, lines = [], []
    for scenario in dict.fromkeys(k[0] for k in groups):
        points = []
        for rtt in rtts:
            celery = groups.get((scenario, celery_variant, rtt))
            taskiq = groups.get((scenario, "taskiq", rtt))
            comp = comps.get((scenario, mode, rtt))
            if celery is None or taskiq is None or comp is None:
                continue
            r = comp.throughput_ratio
            figures = [interval(celery.throughput), interval(taskiq.throughput), ratio(r)]
            says = [
                stats.practical_verdict(r, summary.margin, *stats.FASTER),
                stats.verdict(r, *stats.FASTER),
            ]
            rows.append([scenario, f"{rtt:g}", *figures, *says])
            points.append((rtt, r))
        lines.append(charts.DistanceLine(f"{scenario} ({mode})", mode, points))
    return rows, lines


def _slowdown(summary: Summary) -> list[list[str]]:
    rows = []
    for d in sorted(summary.distance, key=lambda d: (d.scenario, order_key(d.variant), d.rtt_ms)):
        says = stats.practical_verdict(d.ratio, summary.margin, *SLOWER)
        rows.append([d.scenario, d.variant, f"{d.rtt_ms:g}", ratio(d.ratio), says])
    return rows


def _proxy_rows(summary: Summary, rtts: list[float]) -> list[list[str]]:
    rows = []
    for rtt in rtts:
        cost = [
            c.cpu_ms_per_job["netdelay"]
            for c in summary.cells
            if c.purpose == Purpose.network and c.rtt_ms == rtt and "netdelay" in c.cpu_ms_per_job
        ]
        rows.append(
            [f"{rtt:g}", _measured(summary, rtt), num(statistics.median(cost)) if cost else DASH]
        )
    return rows

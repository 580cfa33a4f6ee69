"""Resource use from a cell's samples.csv: CPU seconds per component over a window
(samples prorated at its edges), average % of a core, peak RSS, and per-second series."""

from collections import defaultdict

from bench.summary import Usage

Row = dict[str, str]


def _intervals(samples: list[Row]) -> dict[str, list[tuple[float, float, float, float]]]:
    """component -> (start, end, cpu seconds in it, rss MB at its end), in time order.
    The first sample of a component is its baseline and opens its first interval."""
    out: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    last: dict[str, float] = {}
    for r in samples:
        t, component = float(r["t"]), r["component"]
        if component in last:
            out[component].append((last[component], t, float(r["cpu_s"]), float(r["rss_mb"])))
        last[component] = t
    return out


def usage(samples: list[Row], start: float, end: float) -> dict[str, Usage]:
    found: dict[str, Usage] = {}
    if end <= start:
        return found
    for component, spans in sorted(_intervals(samples).items()):
        cpu, rss = 0.0, 0.0
        for a, b, cpu_s, rss_mb in spans:
            overlap = min(b, end) - max(a, start)
            if overlap > 0 and b > a:
                cpu += cpu_s * overlap / (b - a)
                rss = max(rss, rss_mb)
        if rss or cpu:
            found[component] = Usage(
                cpu_s=round(cpu, 4),
                cpu_pct=round(100 * cpu / (end - start), 1),
                rss_max_mb=rss,
            )
    return found


def per_second(
    samples: list[Row], t0: float, seconds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """CPU (% of a core) and RSS per component, per second from t0."""
    cpu: dict[str, list[float]] = defaultdict(lambda: [0.0] * seconds)
    rss: dict[str, list[float]] = defaultdict(lambda: [0.0] * seconds)
    for component, spans in _intervals(samples).items():
        for a, b, cpu_s, rss_mb in spans:
            k = int(b - t0)
            if 0 <= k < seconds and b > a:
                cpu[component][k] = round(100 * cpu_s / (b - a), 1)
                rss[component][k] = rss_mb
    return dict(cpu), dict(rss)

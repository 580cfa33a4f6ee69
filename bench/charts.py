"""Charts of saved results, as SVG text. Pure functions of the results: no I/O.

Every function draws one figure, returns it as SVG text and closes it. Output is
deterministic (no date in the metadata, salted element ids), so re-rendering old
results gives the same bytes.
"""

import io
import math
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bench.results import CellResult, Group, Interval

MODEL_ORDER = {"drain": 0, "closed": 1, "open": 2}
COMPONENTS = ("api", "workers", "rabbitmq", "postgres", "locust", "stub")
VARIANT_COLOURS = {
    "celery": "#1f77b4",
    "celery-naive": "#9467bd",
    "celery-asyncio_run": "#8c564b",
    "taskiq": "#ff7f0e",
}
_SPARE_COLOURS = ("#2ca02c", "#d62728", "#17becf", "#bcbd22", "#e377c2", "#7f7f7f")


def load_label(model: str, load: float) -> str:
    """The load of a cell in words: "drain 1500 jobs", "closed 16 users", "open 50 jobs/s"."""
    amount = f"{load:g}"
    unit = {"drain": "jobs", "closed": "users", "open": "jobs/s"}.get(model, "")
    return f"{model} {amount} {unit}".strip()


def group_key(model: str, load: float) -> tuple[int, str, float]:
    """Sort key for (model, load): drain, closed, open, then by load."""
    return MODEL_ORDER.get(model, 9), model, load


def colour(variant: str) -> str:
    if variant in VARIANT_COLOURS:
        return VARIANT_COLOURS[variant]
    return _SPARE_COLOURS[sum(map(ord, variant)) % len(_SPARE_COLOURS)]


def variant_key(variant: str) -> tuple[bool, str]:
    """Celery variants first (alphabetical), then the rest (Taskiq)."""
    return not variant.startswith("celery"), variant


def variant_order(variants: Sequence[str]) -> list[str]:
    return sorted(set(variants), key=variant_key)


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "queuebench",  # stable ids: same results, same SVG
            "svg.fonttype": "none",  # text stays text: smaller, searchable, no embedded glyphs
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    ):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        try:
            yield fig
        finally:
            plt.close(fig)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _known(iv: Interval) -> tuple[float, float, float] | None:
    m, lo, hi = iv.median, iv.lo, iv.hi
    if m is None or lo is None or hi is None or math.isnan(m + lo + hi):
        return None
    return m, lo, hi


def _err(iv: Interval) -> tuple[float, float]:
    """Error bar lengths below/above the median (0 when unknown)."""
    k = _known(iv)
    return (max(0.0, k[0] - k[1]), max(0.0, k[2] - k[0])) if k else (0.0, 0.0)


def _value(iv: Interval) -> float:
    k = _known(iv)
    return k[0] if k else 0.0


def _grouped(groups: Sequence[Group]) -> tuple[list[tuple[str, float]], list[str]]:
    keys = sorted({(g.model, g.load) for g in groups}, key=lambda k: group_key(*k))
    return keys, variant_order([g.variant for g in groups])


def _bar_positions(n_keys: int, n_variants: int) -> tuple[float, list[list[float]]]:
    width = 0.8 / max(1, n_variants)
    offsets = [(i - (n_variants - 1) / 2) * width for i in range(n_variants)]
    return width, [[k + off for k in range(n_keys)] for off in offsets]


def _finish_x(ax: Axes, keys: Sequence[tuple[str, float]]) -> None:
    ax.set_xticks(range(len(keys)), [load_label(m, ld) for m, ld in keys])
    ax.set_xlabel("load model and load")
    ax.grid(axis="x", visible=False)


def _interval_bars(
    ax: Axes,
    x: Sequence[float],
    ivs: Sequence[Interval | None],
    width: float,
    variant: str,
    *,
    capsize: int,
    alpha: float = 1.0,
    label: str | None = None,
) -> None:
    """Bars at the medians with whiskers to the 95% interval (0 where nothing ran)."""
    heights = [_value(iv) if iv else 0.0 for iv in ivs]
    errs = [_err(iv) if iv else (0.0, 0.0) for iv in ivs]
    yerr = [[e[0] for e in errs], [e[1] for e in errs]]
    ax.bar(
        x,
        heights,
        width,
        yerr=yerr,
        capsize=capsize,
        color=colour(variant),
        alpha=alpha,
        label=label,
    )


def throughput_chart(groups: Sequence[Group], title: str) -> str:
    """Grouped bars per (model, load), one bar per variant: median jobs/s over the
    repetitions, whiskers the 95% interval."""
    keys, variants = _grouped(groups)
    by = {(g.model, g.load, g.variant): g for g in groups}
    with _figure(max(5.0, 1.2 + 1.3 * len(keys)), 3.6) as fig:
        ax = fig.add_subplot()
        width, xs = _bar_positions(len(keys), len(variants))
        for variant, x in zip(variants, xs, strict=True):
            cells = [by.get((m, ld, variant)) for m, ld in keys]
            ivs = [g.throughput if g else None for g in cells]
            _interval_bars(ax, x, ivs, width, variant, capsize=3, label=variant)
        _finish_x(ax, keys)
        ax.set_ylabel("throughput (jobs/s, median, 95% interval)")
        ax.set_title(title)
        ax.legend(title="variant", fontsize=8)
        return _svg(fig)


def latency_chart(groups: Sequence[Group], title: str) -> str:
    """Per (model, load) and variant: end-to-end p50 (solid) in front of p99 (pale),
    each with its 95% interval, on a log axis."""
    keys, variants = _grouped(groups)
    by = {(g.model, g.load, g.variant): g for g in groups}
    with _figure(max(5.0, 1.2 + 1.3 * len(keys)), 3.6) as fig:
        ax = fig.add_subplot()
        width, xs = _bar_positions(len(keys), len(variants))
        for variant, x in zip(variants, xs, strict=True):
            cells = [by.get((m, ld, variant)) for m, ld in keys]
            for pick, alpha in (("e2e_p99", 0.35), ("e2e_p50", 1.0)):
                ivs = [getattr(g, pick) if g else None for g in cells]
                _interval_bars(ax, x, ivs, width, variant, capsize=2, alpha=alpha)
        if any(_value(g.e2e_p99) > 0 for g in groups):
            ax.set_yscale("log")
        _finish_x(ax, keys)
        ax.set_ylabel("end-to-end latency (ms, log scale)")
        ax.set_title(title)
        handles = [Patch(color=colour(v), label=v) for v in variants]
        handles += [
            Patch(color="#555555", label="p50 (solid)"),
            Patch(color="#555555", alpha=0.35, label="p99 (pale)"),
        ]
        ax.legend(handles=handles, fontsize=8)
        return _svg(fig)


def timeline_chart(cells: Sequence[CellResult], title: str) -> str:
    """Completions per second (top) and ready messages in the queue (bottom) against
    time since load start, one line per cell (label: variant, rep)."""
    ordered = sorted(cells, key=lambda c: (variant_key(c.variant), c.rep))
    with _figure(7.0, 4.6) as fig:
        top = fig.add_subplot(2, 1, 1)
        bottom = fig.add_subplot(2, 1, 2, sharex=top)
        for cell in ordered:
            s = cell.series
            label = f"{cell.variant} (rep {cell.rep})"
            n = min(len(s.t), len(s.completions))
            top.plot(s.t[:n], s.completions[:n], label=label, color=colour(cell.variant), lw=1.2)
            n = min(len(s.t), len(s.queue_depth))
            bottom.plot(s.t[:n], s.queue_depth[:n], label=label, color=colour(cell.variant), lw=1.2)
        top.set_ylabel("completions (jobs/s)")
        top.set_title(title)
        top.legend(fontsize=8)
        bottom.set_ylabel("queue depth (ready messages)")
        bottom.set_xlabel("time since load start (s)")
        return _svg(fig)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def usage_chart(cells: Sequence[CellResult], title: str) -> str:
    """Average CPU (% of one core) and peak RSS (MB) per component, bars per variant;
    each bar is the median over the given cells (repetitions) of that variant."""
    variants = variant_order([c.variant for c in cells])
    present = {name for c in cells for name in c.usage}
    components = [c for c in COMPONENTS if c in present] + sorted(present - set(COMPONENTS))
    with _figure(max(6.0, 1.0 + 1.1 * len(components)), 4.8) as fig:
        cpu_ax = fig.add_subplot(2, 1, 1)
        rss_ax = fig.add_subplot(2, 1, 2, sharex=cpu_ax)
        width, xs = _bar_positions(len(components), len(variants))
        for variant, x in zip(variants, xs, strict=True):
            mine = [c for c in cells if c.variant == variant]
            cpu = [_median([c.usage[k].cpu_avg for c in mine if k in c.usage]) for k in components]
            rss = [
                _median([c.usage[k].rss_max_mb for c in mine if k in c.usage]) for k in components
            ]
            cpu_ax.bar(x, cpu, width, label=variant, color=colour(variant))
            rss_ax.bar(x, rss, width, label=variant, color=colour(variant))
        cpu_ax.set_ylabel("CPU average (% of one core)")
        cpu_ax.set_title(title)
        cpu_ax.legend(title="variant", fontsize=8)
        rss_ax.set_ylabel("peak RSS (MB)")
        rss_ax.set_xticks(range(len(components)), components)
        rss_ax.set_xlabel("component")
        for ax in (cpu_ax, rss_ax):
            ax.grid(axis="x", visible=False)
        return _svg(fig)

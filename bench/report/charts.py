"""Charts of saved results, as SVG text. Pure functions of the results: no I/O.

Every function draws one figure, returns it as SVG text and closes it. Output is
deterministic (no date in the metadata, salted element ids), so re-rendering old
results gives the same bytes.
"""

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.report.format import group_key, load_label
from bench.spec.variants import MODES, colour, order_key
from bench.summary import COST_COMPONENTS, CellResult, Group, Interval, Ratio

COMPONENT_COLOURS = {
    "workers": "#4c72b0",
    "api": "#dd8452",
    "rabbitmq": "#55a868",
    "postgres": "#c44e52",
}
MODE_COLOURS = {m.key: m.colour for m in MODES}


def variant_order(variants: Sequence[str]) -> list[str]:
    return sorted(set(variants), key=order_key)


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


@dataclass(frozen=True)
class ForestRow:
    label: str
    mode: str
    ratio: Ratio


THROUGHPUT_AXIS = "Taskiq / Celery throughput (log scale; > 1: Taskiq ahead)"


def forest_chart(
    rows: Sequence[ForestRow], title: str, margin: float | None = None,
    xlabel: str = THROUGHPUT_AXIS,
) -> str:  # fmt: skip
    """Every Taskiq / Celery ratio with its interval on a log axis; 1.0 marked, and the
    margin of practical equivalence shaded. `xlabel` says which side is ahead; a whisker
    that reaches into the band decides nothing."""
    shown = [r for r in rows if r.ratio.point is not None]
    with _figure(7.5, 0.9 + 0.28 * max(1, len(shown))) as fig:
        ax = fig.add_subplot()
        if margin:
            ax.axvspan(1 / (1 + margin), 1 + margin, color="#dddddd", zorder=0)
        for y, row in enumerate(reversed(shown)):
            r, c = row.ratio, MODE_COLOURS.get(row.mode, "#333333")
            assert r.point is not None
            if r.lo is not None and r.hi is not None:
                ax.plot([r.lo, r.hi], [y, y], color=c, lw=2)
            ax.plot([r.point], [y], "o", color=c, ms=5)
        ax.axvline(1.0, color="#222222", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(range(len(shown)), [r.label for r in reversed(shown)])
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        for mode, c in MODE_COLOURS.items():
            ax.plot([], [], "o-", color=c, label=mode)
        ax.legend(title="fairness mode", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        return _svg(fig)


def _errs(ivs: Sequence[Interval]) -> list[list[float]]:
    lows, highs = [], []
    for iv in ivs:
        m = iv.median or 0.0
        known = iv.lo is not None and iv.hi is not None and not math.isnan(iv.lo + iv.hi)
        lows.append(max(0.0, m - iv.lo) if known and iv.lo is not None else 0.0)
        highs.append(max(0.0, iv.hi - m) if known and iv.hi is not None else 0.0)
    return [lows, highs]


def _bars_done(fig: Figure, ticks: list[str], ylabel: str, title: str) -> str:
    """A bar chart's labels, title and legend; its SVG."""
    ax = fig.axes[0]
    ax.set_xticks(range(len(ticks)), ticks)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=8)
    return _svg(fig)


def throughput_chart(groups: Sequence[Group], title: str) -> str:
    """Median jobs/s per load model, one bar per variant, whiskers its interval."""
    keys = sorted({(g.model, g.load) for g in groups}, key=lambda k: group_key(*k))
    variants = variant_order([g.variant for g in groups])
    by = {(g.model, g.load, g.variant): g for g in groups}
    width = 0.8 / max(1, len(variants))
    with _figure(max(4.5, 1.5 + 1.6 * len(keys)), 3.2) as fig:
        ax = fig.add_subplot()
        for i, variant in enumerate(variants):
            x = [k + (i - (len(variants) - 1) / 2) * width for k in range(len(keys))]
            ivs = [
                g.throughput
                if (g := by.get((*key, variant)))
                else Interval(median=0, lo=None, hi=None, n=0)
                for key in keys
            ]
            ax.bar(
                x,
                [iv.median or 0.0 for iv in ivs],
                width,
                yerr=_errs(ivs),
                capsize=3,
                color=colour(variant),
                label=variant,
            )
        return _bars_done(fig, [load_label(*k) for k in keys], "jobs/s (median, interval)", title)


def cost_chart(groups: Sequence[Group], title: str) -> str:
    """CPU milliseconds per job, stacked by component, one bar per variant."""
    ordered = sorted(groups, key=lambda g: order_key(g.variant))
    with _figure(max(4.5, 1.5 + 1.0 * len(ordered)), 3.2) as fig:
        ax = fig.add_subplot()
        bottom = [0.0] * len(ordered)
        for component in COST_COMPONENTS:
            values = [
                (g.cpu_ms_per_job[component].median or 0.0)
                if component in g.cpu_ms_per_job
                else 0.0
                for g in ordered
            ]
            ax.bar(
                range(len(ordered)),
                values,
                0.6,
                bottom=bottom,
                label=component,
                color=COMPONENT_COLOURS[component],
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        return _bars_done(fig, [g.variant for g in ordered], "CPU ms per job (median)", title)


def timeline_chart(cells: Sequence[CellResult], title: str) -> str:
    """Completions per second (top) and ready messages in the queue (bottom) against
    time since load start, one line per cell (label: variant, rep)."""
    ordered = sorted(cells, key=lambda c: (order_key(c.variant), c.rep))
    with _figure(7.0, 4.2) as fig:
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


@dataclass(frozen=True)
class DistanceLine:
    label: str
    mode: str
    points: list[tuple[float, Ratio]]  # RTT ms, Taskiq / Celery


def distance_chart(lines: Sequence[DistanceLine], title: str) -> str:
    """Taskiq / Celery against the RTT, one line per scenario and mode, one panel per mode,
    whiskers the ratio's interval; 1.0 marked."""
    modes = list(dict.fromkeys(line.mode for line in lines))
    with _figure(7.5, 3.4) as fig:
        axes = fig.subplots(1, max(1, len(modes)), sharey=True, squeeze=False)[0]
        for ax, mode in zip(axes, modes, strict=False):
            for n, line in enumerate(x for x in lines if x.mode == mode and x.points):
                xs = [rtt + 0.03 * n for rtt, _ in line.points]  # apart, so whiskers show
                ys = [r.point or math.nan for _, r in line.points]
                lo = [max(0.0, (r.point or 0) - (r.lo or r.point or 0)) for _, r in line.points]
                hi = [max(0.0, (r.hi or r.point or 0) - (r.point or 0)) for _, r in line.points]
                ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=3, capsize=2, lw=1,
                            label=line.label.split(" (")[0])  # fmt: skip
            ax.axhline(1.0, color="#222222", lw=1)
            ax.set_yscale("log")
            ax.set_xlabel("RTT between workers and services (ms)")
            ax.set_title(mode, fontsize=9)
        axes[0].set_ylabel("Taskiq / Celery jobs/s (log)")
        axes[-1].legend(fontsize=7, loc="upper left")
        fig.suptitle(title, fontsize=9)
        return _svg(fig)


@dataclass(frozen=True)
class ScaleLine:
    variant: str  # a pool: its colour
    points: list[tuple[int, Interval]]  # worker processes, jobs/s (or CPU ms per job)


def scale_chart(panels: dict[str, list[ScaleLine]], ylabel: str, title: str) -> str:
    """A figure against worker processes (log 2 axis), a panel per job, a line per pool,
    whiskers its interval."""
    with _figure(7.5, 3.2) as fig:
        axes = fig.subplots(1, max(1, len(panels)), squeeze=False)[0]
        for ax, (job, lines) in zip(axes, panels.items(), strict=False):
            for line in lines:
                xs = [p for p, _ in line.points]
                ivs = [iv for _, iv in line.points]
                ax.errorbar(xs, [iv.median or math.nan for iv in ivs], yerr=_errs(ivs),
                            marker="o", ms=3, capsize=2, lw=1.2, color=colour(line.variant),
                            label=line.variant)  # fmt: skip
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted({p for line in lines for p, _ in line.points}))
            ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.set_ylim(bottom=0)
            ax.set_xlabel("worker processes")
            ax.set_title(job, fontsize=9)
        axes[0].set_ylabel(ylabel)
        axes[-1].legend(fontsize=7, loc="lower right")
        fig.suptitle(title, fontsize=9)
        return _svg(fig)

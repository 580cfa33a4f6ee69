"""How figures are written: numbers, intervals, ratios, durations, and loads in words."""

import math

from bench.spec.models import Model
from bench.summary import Interval, Ratio

DASH = "\u2013"  # en dash: no value
NOT_MEASURED = "not measured here"  # the harness could not see it: never shown as 0
TIMES = "\u00d7"  # multiplication sign in ratios


def num(x: float | None) -> str:
    if x is None or math.isnan(x):
        return DASH
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def interval(iv: Interval) -> str:
    """ "median [lo, hi]" (just the median with one repetition)."""
    if iv.median is None:
        return DASH
    if iv.lo is None or iv.hi is None:
        return num(iv.median)
    return f"{num(iv.median)} [{num(iv.lo)}, {num(iv.hi)}]"


def ratio(r: Ratio) -> str:
    if r.point is None:
        return DASH
    if r.lo is None or r.hi is None:
        return f"{r.point:.2f}{TIMES} (n={r.n})"
    return f"{r.point:.2f}{TIMES} [{_bound(r.lo)}, {_bound(r.hi)}]"


def _bound(x: float) -> str:
    """Two decimals, three where two would print 1.00 for a bound that is not 1: a verdict
    beside "[1.00, 1.14]" would look like it ignored its own interval."""
    text = f"{x:.2f}"
    if text != "1.00" or x == 1:
        return text
    return f"{x:.3f}" if round(x, 3) != 1 else f"{x:.4f}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


def load_label(model: str, load: float) -> str:
    """The load of a cell in words: "drain", "closed 16 users", "open 50 jobs/s"."""
    if model == Model.drain:
        return str(Model.drain)
    unit: dict[str, str] = {
        Model.closed: "users", Model.open: "jobs/s", Model.latency: "jobs/s",
        Model.enqueue: "users",
    }  # fmt: skip
    return f"{model} {load:g} {unit.get(model, '')}".strip()


MODEL_ORDER: dict[str, int] = {
    Model.drain: 0, Model.closed: 1, Model.open: 2, Model.latency: 3, Model.enqueue: 4,
}  # fmt: skip


def group_key(model: str, load: float) -> tuple[int, str, float]:
    """Sort key for (model, load): drain, closed, open, enqueue, then by load."""
    return MODEL_ORDER.get(model, 9), model, load

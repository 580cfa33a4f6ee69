"""Closed, open, latency and enqueue cells: the jobs posted in the measured window (after
the warm-up). With no worker (enqueue) the figure is the rate the API accepted; an open cell
that accepted under 95% of its offered rate is not a worker result. A latency cell counts
its generator's own schedule: the arrivals due in the window, which of them were sent and
accepted (under 99% of either and the cell is invalid), and how late; its latencies are
those of the jobs accepted for these arrivals."""

from bench import stats
from bench.analyse.cell import CellData, Window
from bench.raw import read_posts
from bench.spec.models import Model
from bench.summary import LATENCY_KEPT, OVERLOADED, STEADY, Arrivals
from core.contract import JobStatus

LATE_START_MS = 250.0  # the schedule's first arrival sent later: Locust was not up in time

OPEN_KEPT = 0.95


def arrivals(data: CellData) -> tuple[Window, Arrivals]:
    """A latency cell's window: its schedule's, on the generator's clock."""
    record, marks = data.record, data.record.marks
    assert marks.t_measure_start is not None and marks.t_measure_end is not None
    start, end = marks.t_measure_start, marks.t_measure_end
    scheduled = [p for p in read_posts(data.dir) if p.get("scheduled")]
    due = [p for p in scheduled if start <= float(p["scheduled"]) < end]
    sent = [p for p in due if p["late_ms"]]
    ids = {p["id"] for p in sent if p["status"] == "202" and p["id"]}
    late = [float(p["late_ms"]) for p in sent]
    posts = [float(p["latency_ms"]) for p in sent if p["latency_ms"]]
    figures = Arrivals(
        rate=record.cell.load, due=len(due), sent=len(sent), accepted=len(ids),
        late_p50_ms=stats.percentile(late, 50), late_p99_ms=stats.percentile(late, 99),
        late_max_ms=max(late) if late else None, post_p99_ms=stats.percentile(posts, 99),
    )  # fmt: skip
    flags = []
    first = min(scheduled, key=lambda p: float(p["scheduled"]), default=None)
    if first is not None and float(first["late_ms"] or "inf") > LATE_START_MS:
        # Its first arrivals went out at once: a burst the schedule did not ask for.
        late_by = first["late_ms"] or "never sent, not"
        flags.append(f"generator- or API-limited: its first arrival went {late_by} ms late")
    if not due:
        flags.append("generator- or API-limited: no arrival was due in the window")
    elif min(figures.sent, figures.accepted) < LATENCY_KEPT * figures.due:
        flags.append(
            f"generator- or API-limited: of {figures.due} arrivals due, {figures.sent} sent "
            f"and {figures.accepted} accepted (under {LATENCY_KEPT:.0%})"
        )
    jobs = [j for j in data.jobs if j["id"] in ids]
    done = [j for j in jobs if j["status"] == JobStatus.done]
    completed = sum(1 for j in data.done if start <= float(j["finished"]) < end)
    seconds = end - start
    shortfall = figures.accepted - completed
    if shortfall > max((1 - STEADY) * figures.accepted, 3 * figures.accepted**0.5):
        flags.append(  # a figure, not a fault: but its latencies grow with the window
            f"{OVERLOADED}: {completed / seconds:.1f} jobs/s finished of "
            f"{figures.accepted / seconds:.1f} accepted, so the queue grew through the window"
        )
    window = Window(
        start=start, end=end, measured=done, throughput=completed / seconds if seconds else 0.0,
        per_job=completed, accepted_in=len(ids), flags=flags,
    )  # fmt: skip
    return window, figures


def window(data: CellData) -> Window:
    record, marks = data.record, data.record.marks
    assert marks.t_measure_start is not None and marks.t_measure_end is not None
    start, end = marks.t_measure_start, marks.t_measure_end
    seconds = end - start
    finished = [float(j["finished"]) for j in data.done]
    completed = sum(1 for t in finished if start <= t < end)
    accepted_in = sum(1 for j in data.jobs if start <= float(j["enqueued"]) < end)
    accepted_rate = accepted_in / seconds if seconds > 0 else None
    producer = record.cell.model.producer
    flags = []
    offered = record.offered
    # A fault cell's load is the steady traffic a fault strikes: 503s are what it measures.
    limited = record.cell.model is not Model.fault
    if limited and offered and accepted_rate is not None and accepted_rate < OPEN_KEPT * offered:
        # Under an enqueue-rate load the API's limit is the figure; elsewhere it is not a
        # worker result.
        who = "API at its limit" if producer else "generator- or API-limited"
        flags.append(f"{who}: {accepted_rate:.1f} of {offered:g} jobs/s offered were accepted")
    throughput = (accepted_rate or 0.0) if producer else completed / seconds if seconds > 0 else 0.0
    return Window(
        start=start,
        end=end,
        measured=[j for j in data.done if start <= float(j["enqueued"]) < end],
        throughput=throughput,
        per_job=accepted_in if producer else completed,
        accepted_in=accepted_in,
        flags=flags,
    )

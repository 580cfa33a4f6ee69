"""Closed, open and enqueue cells: the jobs posted in the measured window (after the
warm-up). With no worker (enqueue) the figure is the rate the API accepted; an open cell
that accepted under 95% of its offered rate is not a worker result."""

from bench.analyse.cell import CellData, Window
from bench.spec.models import Model

OPEN_KEPT = 0.95


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

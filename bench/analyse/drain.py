"""A drain's window: the completions between half a second after the first one and the
window's end. A backlog that ran out inside it shortens the window (flagged); one that ran
out before 90% of it makes the cell invalid."""

from bench.analyse.cell import CellData, Window

SHORT_WINDOW = 0.9


def window(data: CellData) -> Window:
    marks = data.record.marks
    assert marks.t_window_start is not None and marks.t_window_end is not None
    start, end, flags = marks.t_window_start, marks.t_window_end, []
    finished = [float(j["finished"]) for j in data.done]
    last = max(finished, default=start)
    if last < end - 1.0:  # the backlog ran out inside the window
        flags.append(f"backlog ran out {end - last:.1f} s before the window's end")
        end = max(last, start + 1e-3)
    completed = sum(1 for t in finished if start <= t < end)
    return Window(
        start=start,
        end=end,
        measured=[j for j in data.done if start <= float(j["finished"]) < end],
        throughput=completed / (end - start),
        per_job=completed,
        accepted_in=sum(1 for j in data.jobs if start <= float(j["enqueued"]) < end),
        flags=flags,
        invalid=end - start < SHORT_WINDOW * (marks.t_window_end - marks.t_window_start),
    )

"""The latency model's analysis: a cell counts the arrivals its schedule made due in the
window, which were sent and accepted (under 99% and the cell is invalid), how late they were
sent, and takes its latencies from the jobs of those arrivals only; Taskiq is paired with
each fairness mode's Celery variant by the variant it ran against, even at equal rates."""

from pathlib import Path

from bench.analyse.cell import CellData, result
from bench.analyse.grouping import comparisons
from bench.analyse.load import arrivals
from bench.raw import POSTS_PREFIX, Cell, CellRecord, Marks, write_rows
from bench.spec.models import Model
from tests.bench.test_report import make_cell

COLUMNS = ("t", "latency_ms", "status", "scheduled", "late_ms", "id")
START, END = 100.0, 110.0


def latency_cell(tmp_path: Path, refused: int = 0, unsent: int = 0) -> CellData:
    """100 arrivals due in [100, 110), one in the warm-up before; each job takes 50 ms to
    start and 20 ms to run, but one slow one (2 s)."""
    posts, rows = [], []
    for n in range(-1, 100):
        due = START + 0.1 * n + 0.05
        sent = n >= 100 - unsent
        ok = n < 100 - unsent - refused
        job = f"j{n}"
        posts.append(
            (due if sent else due + 0.002, "" if sent else 3.0, 0 if sent else 202 if ok else 503,
             due, "" if sent else 2.0 if n else 40.0, job if ok and not sent else "")
        )  # fmt: skip
        if ok and not sent:
            run = 2.0 if n == 7 else 0.02
            rows.append({
                "id": job, "task": "price_order", "status": "done", "attempts": "1",
                "duplicate_deliveries": "0", "publishes": "1", "enqueued": str(due + 0.003),
                "first_started": str(due + 0.053), "started": str(due + 0.053),
                "finished": str(due + 0.053 + run), "error": "",
            })  # fmt: skip
    write_rows(tmp_path / f"{POSTS_PREFIX}.1.csv", COLUMNS, posts)
    cell = Cell(index=0, variant="taskiq", scenario="price_order", model=Model.latency,
                load=10.0, rep=0, share=0.5, against="celery")  # fmt: skip
    marks = Marks(t_load_start=97.0, t_measure_start=START, t_measure_end=END, t_end=112.0)
    record = CellRecord(cell=cell, cell_id="r.000", processes=2, slots=32, prefetch=32, cpus=2,
                        marks=marks)  # fmt: skip
    return CellData(record, tmp_path, rows, [], [])


def test_a_kept_schedule_counts_due_sent_accepted_and_lateness(tmp_path: Path) -> None:
    data = latency_cell(tmp_path)
    window, figures = arrivals(data)
    assert (figures.due, figures.sent, figures.accepted) == (100, 100, 100)
    assert figures.rate == 10.0 and figures.late_max_ms == 40.0  # the one sent 40 ms late
    assert figures.late_p50_ms == 2.0
    assert window.flags == [] and len(window.measured) == 100  # not the warm-up's job
    cell = result(data, window, figures)
    assert cell.valid and cell.share == 0.5 and cell.against == "celery"
    assert cell.queue_wait_ms.p50 is not None and abs(cell.queue_wait_ms.p50 - 50.0) < 0.01
    assert cell.e2e_ms.p99 is not None and cell.e2e_ms.p99 > 70.0  # the slow job shows


def test_a_generator_that_started_late_makes_the_cell_invalid(tmp_path: Path) -> None:
    """Its first arrivals, due before Locust was up, would go out at once: a burst."""
    data = latency_cell(tmp_path)
    posts = (tmp_path / f"{POSTS_PREFIX}.1.csv").read_text().splitlines()
    first = posts[1].split(",")
    first[4] = "400.0"  # the warm-up's first arrival, 400 ms late
    posts[1] = ",".join(first)
    (tmp_path / f"{POSTS_PREFIX}.1.csv").write_text("\n".join(posts) + "\n")
    window, figures = arrivals(data)
    assert window.flags == ["generator- or API-limited: its first arrival went 400.0 ms late"]
    assert not result(data, window, figures).valid


def test_a_cell_that_fell_behind_is_overloaded_and_left_out_of_the_ratio(tmp_path: Path) -> None:
    data = latency_cell(tmp_path)
    for row in data.rows[50:]:  # half the window's jobs finish after it
        row["finished"] = str(float(row["finished"]) + 20.0)
    window, figures = arrivals(data)
    assert len(window.flags) == 1 and window.flags[0].startswith("overloaded: ")
    cell = result(data, window, figures)
    assert cell.valid  # a figure: it fell behind; but no p99 to pair
    cells = []
    for rep in range(3):
        for variant, against in (("celery", "taskiq"), ("taskiq", "celery")):
            c = cell.model_copy(update={"variant": variant, "against": against, "rep": rep,
                                        "backend": variant, "load": 10.0})  # fmt: skip
            if variant == "taskiq" or rep == 2:
                c = c.model_copy(update={"flags": []})
            cells.append(c)
    [comp] = [c for c in comparisons(cells) if c.model == Model.latency]
    assert comp.e2e_p99_ratio is not None and comp.e2e_p99_ratio.n == 1  # rep 2 only
    assert comp.throughput_ratio.n == 3  # the cells stay valid for what they are


def test_under_99_percent_accepted_or_sent_the_cell_is_invalid(tmp_path: Path) -> None:
    for refused, unsent in ((2, 0), (0, 2)):
        data = latency_cell(tmp_path, refused=refused, unsent=unsent)
        window, figures = arrivals(data)
        assert figures.due == 100 and min(figures.sent, figures.accepted) == 98
        assert window.flags and "of 100 arrivals due" in window.flags[0]
        assert not result(data, window, figures).valid
    data = latency_cell(tmp_path, refused=1)  # 99%: kept
    assert arrivals(data)[0].flags == []


def test_taskiq_pairs_with_each_modes_celery_even_at_one_rate() -> None:
    """When Taskiq is the slower variant in both modes, both pairs offer the same rate: its
    two sets of cells must not merge, nor pair with the wrong Celery variant."""
    cells = []
    for rep in range(3):
        for variant, against in (("celery", "taskiq"), ("celery-threads", "taskiq"),
                                 ("taskiq", "celery"), ("taskiq", "celery-threads")):  # fmt: skip
            c = make_cell(("noop", "drain", 0.0), variant, rep)
            # Taskiq: 400 ms beside prefork, 200 beside threads; prefork 800, threads 100
            p99 = {"celery": 400.0, "celery-threads": 200.0}.get(against, 0.0)
            if variant != "taskiq":
                p99 = {"celery": 800.0, "celery-threads": 100.0}[variant]
            c.model, c.load, c.share, c.against = Model.latency, 40.0, 0.8, against
            c.e2e_ms.p99 = p99 * (1 + 0.01 * rep)
            c.queue_wait_ms.p99 = p99 / 2
            cells.append(c.model_copy(deep=True))
    found = {c.celery: c for c in comparisons(cells) if c.model == Model.latency}
    assert set(found) == {"celery", "celery-threads"}
    by_prefork, by_threads = found["celery"].e2e_p99_ratio, found["celery-threads"].e2e_p99_ratio
    assert by_prefork and by_threads and by_prefork.n == by_threads.n == 3
    assert abs((by_prefork.point or 0) - 0.5) < 1e-9  # Taskiq 400 ms against prefork's 800
    assert abs((by_threads.point or 0) - 2.0) < 1e-9  # 200 ms against the threads' 100
    assert found["celery"].share == 0.8 and found["celery"].queue_wait_p99_ratio is not None

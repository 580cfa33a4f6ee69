"""The report renders a saved Summary (and nothing else) into Markdown and a
self-contained HTML page that leads with the answer. The fixture is a synthetic run
grouped by the real code: three variants (both fairness modes), two scenarios, drain
and closed, five repetitions, built so that every kind of verdict occurs."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from rich.table import Table as RichTable

from bench import report
from bench.analyse import grouping
from bench.summary import (
    Arrivals,
    Bound,
    CellResult,
    FaultFigures,
    JobCost,
    LocustFigures,
    Percentiles,
    Series,
    Summary,
    Usage,
)

REPS = 5
NOISE = [1.00, 1.03, 0.97, 1.02, 0.98]
# (scenario, model, load) -> variant -> throughput per repetition (before noise)
BASE = {
    ("fetch_rates", "drain", 0.0): {"celery": 18.0, "celery-threads": 170.0, "taskiq": 180.0},
    ("fetch_rates", "closed", 32.0): {"celery": 16.0, "celery-threads": 80.0, "taskiq": 83.0},
    ("noop", "drain", 0.0): {"celery": 420.0, "celery-threads": 300.0, "taskiq": 360.0},
    ("noop", "closed", 16.0): {"celery": 150.0, "celery-threads": 140.0, "taskiq": 150.0},
}
LEDGER: dict[str, object] = {
    "queues": "quorum",
    "worker_processes": 2,
    "worker_slots": 32,
    "prefetch": {"per": 32},
}


def make_cell(key: tuple[str, str, float], variant: str, rep: int) -> CellResult:
    scenario, model, load = key
    # Taskiq's noise runs against Celery's in noop closed: no clear difference there.
    wobble = (
        NOISE[rep] if variant != "taskiq" or key[0:2] != ("noop", "closed") else NOISE[-1 - rep]
    )
    thr = BASE[key][variant] * wobble
    cpu = 1000 * 1.6 / thr  # workers use 1.6 cores whatever they do
    return CellResult(
        cell_id=f"{scenario}-{model}-{variant}-r{rep}",
        variant=variant,
        backend="taskiq" if variant == "taskiq" else "celery",
        scenario=scenario,
        model=model,
        load=load,
        rep=rep,
        prefetch=32,
        window_s=10.0,
        accepted=int(thr * 10),
        completed=int(thr * 10),
        failed=0,
        lost=0,
        redelivered=0,
        duplicate_deliveries=0,
        republished=0,
        throughput=thr,
        e2e_ms=Percentiles(p50=40.0, p95=80.0, p99=120.0),
        queue_wait_ms=Percentiles(p50=5.0),
        service_ms=Percentiles(p50=30.0),
        cpu_ms_per_job={"workers": cpu, "api": 0.4, "rabbitmq": 0.8, "postgres": 1.5},
        usage={"workers": Usage(cpu_s=16.0, cpu_pct=160.0, rss_max_mb=250.0)},
        series=Series(
            t=[0.0, 1.0, 2.0], completions=[0.0, thr, thr], queue_depth=[900.0, 600.0, 300.0]
        ),
        bound=Bound(
            slots=64,
            median_service_ms=30.0,
            slots_bound=2000.0,
            utilisation=thr / 2000,
            bottleneck="worker CPU",
        ),
        locust=None
        if model == "drain"
        else LocustFigures(requests=100, failures=0, rps=10.0, p50_ms=5.0, p95_ms=9.0, p99_ms=12.0),
        flags=["load generator saturated (Locust CPU 97%)"]
        if (variant, rep, model) == ("taskiq", 4, "closed") and scenario == "noop"
        else [],
        valid=not ((variant, rep, model) == ("taskiq", 4, "closed") and scenario == "noop"),
    )


# (share, the pair) -> offered jobs/s and e2e p99 ms of (its Celery variant, Taskiq)
LATENCY = {
    (0.5, "celery-threads"): (85.0, 300.0, 150.0),  # Taskiq's p99 half: lower
    (0.8, "celery-threads"): (136.0, 400.0, 404.0),  # 1.01x: no practical difference
    (0.5, "celery"): (9.0, 250.0, 200.0),
    (0.8, "celery"): (14.4, 900.0, 300.0),
}


def latency_cell(share: float, celery: str, variant: str, rep: int) -> CellResult:
    """fetch_rates under Poisson arrivals at `share` of the pair's slower drain rate."""
    rate, celery_p99, taskiq_p99 = LATENCY[(share, celery)]
    p99 = (taskiq_p99 if variant == "taskiq" else celery_p99) * NOISE[rep]
    c = make_cell(("fetch_rates", "closed", 32.0), variant, rep)
    return c.model_copy(
        update={
            "cell_id": f"fetch_rates-latency-{share}-{variant}-{celery}-r{rep}",
            "model": "latency", "load": rate, "share": share,
            "against": "taskiq" if variant != "taskiq" else celery,
            "throughput": rate, "locust": None, "window_s": 8.0,
            "e2e_ms": Percentiles(p50=p99 / 3, p95=p99 / 1.5, p99=p99),
            "queue_wait_ms": Percentiles(p50=p99 / 10, p95=p99 / 5, p99=p99 / 4),
            "arrivals": Arrivals(rate=rate, due=int(rate * 8), sent=int(rate * 8),
                                 accepted=int(rate * 8), late_p50_ms=0.9, late_p99_ms=7.5,
                                 late_max_ms=20.0),
        }
    )  # fmt: skip


def make_summary(
    smoke: bool = False,
    variants: tuple[str, ...] = ("celery", "celery-threads", "taskiq"),
    latency: bool = False,
) -> Summary:
    cells = [make_cell(key, v, rep) for key in BASE for rep in range(REPS) for v in variants]
    if latency:
        cells += [
            latency_cell(share, celery, v, rep)
            for share, celery in LATENCY
            for rep in range(REPS)
            for v in (celery, "taskiq")
        ]
    return Summary(
        run_id="20261125-120000",
        profile="standard",
        smoke=smoke,
        started="2026-11-25T12:00:00+00:00",
        wall_s=2400.0,
        ledger=LEDGER,
        environment={"cpus": 2, "python": "3.11.7"},
        cells=cells,
        jobcosts=[
            JobCost(
                cell_id="j1",
                scenario="noop",
                concurrency=16,
                jobs=900,
                cpu_ms_per_job=1.1,
                jobs_per_s=300.0,
            )
        ],
        groups=grouping.groups(cells),
        comparisons=grouping.comparisons(cells),
        calibration=[],
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    run_dir = tmp_path_factory.mktemp("run")
    make_summary().dump(run_dir)
    md, page = report.render(run_dir)
    return md.read_text(), page.read_text()


def test_the_feature_matrix_follows_the_answer_with_its_tests(rendered: tuple[str, str]) -> None:
    md, page = rendered
    features = md.split("## Features")[1].split("## Details")[0]
    assert md.index("## Why") < md.index("## Features") < md.index("## Details")
    for name in ("periodic jobs", "delayed jobs", "cancellation", "retries with backoff"):
        assert f"| {name} |" in features
    assert "`python -m bench features` measures it" in features
    assert "tests/e2e/test_cancel.py" in page


def verdict_of(md: str, scenario: str, load: str, column: int = 5) -> list[str]:
    """The verdict cells of one row of the answer table (one per fairness mode, equal
    in-flight first); column 6 is the statistical reading."""
    answer = md.split("## The answer")[1].split("## Why")[0]
    row = next(line for line in answer.splitlines() if line.startswith(f"| {scenario} | {load} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    return [cells[column], cells[column + 6]]


def test_the_answer_comes_first(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    order = [md.index(h) for h in ("## The answer", "## Why", "## Details", "## Fairness ledger")]
    assert order == sorted(order)
    assert md.index("## The answer") < 1200  # after a two-line header, nothing else


def test_verdicts_follow_the_paired_intervals(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    # equal in-flight capacity, then equal processes
    assert verdict_of(md, "fetch_rates", "drain") == ["Taskiq faster", "Taskiq faster"]
    assert verdict_of(md, "noop", "drain") == ["Taskiq faster", "Celery faster"]
    assert verdict_of(md, "noop", "closed 16 users", 6)[1] == "no clear difference"
    assert verdict_of(md, "noop", "closed 16 users")[1] == "no practical difference"


def test_the_practical_reading_needs_the_interval_beyond_the_margin(
    rendered: tuple[str, str],
) -> None:
    md, _ = rendered
    # 1.04x [1.04, 1.04]: statistically Taskiq ahead, by less than the 5% margin
    assert verdict_of(md, "fetch_rates", "closed 32 users", 6)[0] == "Taskiq faster"
    assert verdict_of(md, "fetch_rates", "closed 32 users")[0] == "no practical difference"
    # 1.07x [1.04, 1.09]: its interval reaches into the margin, so it settles nothing
    assert verdict_of(md, "noop", "closed 16 users")[0] == "unsettled (interval crosses ±5%)"


def test_the_paragraph_per_mode_is_built_from_the_verdicts(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    answer = md.split("## The answer")[1].split("## Why")[0]
    in_flight, processes = (line for line in answer.splitlines() if line.startswith("- Equal "))
    assert in_flight.startswith("- Equal in-flight capacity (celery-threads against taskiq)")
    assert "Celery faster" not in in_flight
    assert "No practical difference in throughput (within ±5%) on fetch_rates closed" in in_flight
    assert "Celery faster by more than 5% on noop drain 0.86" in processes
    assert "No practical difference in throughput (within ±5%) on noop closed 16 users" in processes
    assert "Memory: celery workers peaked at 125 MB per process, taskiq at 125 MB." in processes


def test_memory_per_process_and_per_job_in_flight(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    memory = md.split("### Memory")[1].split("## Why")[0]
    # 250 MB for 2 processes: prefork holds 2 jobs, threads and Taskiq 2 x 32
    assert "| celery | 250 [250, 250] | 125 | 125 | fetch_rates |" in memory
    assert "| taskiq | 250 [250, 250] | 125 | 3.91 | fetch_rates |" in memory


def test_ratio_cells_show_the_interval_and_the_method_is_stated(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    assert re.search(r"\| \d+\.\d\d\u00d7 \[\d+\.\d\d, \d+\.\d\d\] \|", md)
    assert "one job per window), n = 4/5 pairs" in md  # one invalid rep
    assert "95% t-interval on paired log-ratios, its SD never below" in md
    assert "Both need at least 3 pairs" in md


def test_no_table_is_empty_and_no_header_repeats(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    lines = md.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("|---"):
            assert lines[n + 1].startswith("|"), f"empty table under: {lines[n - 1][:80]}"
            body = []
            for row in lines[n + 1 :]:
                if not row.startswith("|"):
                    break
                body.append(row)
            assert lines[n - 1] not in body, "a header repeated as a row"


def test_forest_plot_and_charts_are_inline_svg(rendered: tuple[str, str]) -> None:
    _, html = rendered
    assert '<figure class="chart forest"' in html
    forest = html.split('<figure class="chart forest"')[1].split("</figure>")[0]
    assert forest.count("<svg") == 1 and "Taskiq / Celery throughput" in forest
    for kind in ("throughput", "cost", "timeline"):
        assert f'<figure class="chart {kind}"' in html
    for external in ('src="http', 'href="http', "url(http", "@import"):
        assert external not in html


def test_cost_per_job_has_every_component_and_the_cpu_ratio(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    why = md.split("## Why")[1].split("## Details")[0]
    assert "CPU ms/job workers" in why and "CPU ms/job postgres" in why
    assert "CPU per job, Taskiq / Celery, paired by repetition: the workers alone" in why
    assert "| noop | 16 | 900 | 1.10 | 300 |" in why  # the in-process job cost
    assert "93.8%" in why  # the coverage of [min, max] over 5 repetitions


def test_flagged_cell_is_listed_with_why(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    row = "| noop-closed-taskiq-r4 | taskiq | noop | closed 16 users | 4 | invalid |"
    assert f"{row} load generator saturated" in md


def test_smoke_run_says_so_before_any_figure(tmp_path: Path) -> None:
    make_summary(smoke=True).dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    assert md.index("SMOKE RUN") < md.index("## The answer")


def test_a_run_without_comparisons_says_so_and_renders(tmp_path: Path) -> None:
    make_summary(variants=("taskiq",)).dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    assert "No Taskiq / Celery comparison ran in this run." in md
    test_no_table_is_empty_and_no_header_repeats((md, ""))


def test_rendering_twice_gives_identical_files_and_closes_figures(tmp_path: Path) -> None:
    make_summary().dump(tmp_path)
    first = [p.read_bytes() for p in report.render(tmp_path)]
    assert plt.get_fignums() == []
    second = [p.read_bytes() for p in report.render(tmp_path)]
    assert first == second


def console_tables(summary: Summary) -> list[RichTable]:
    return [t for t in report.console_view(summary) if isinstance(t, RichTable)]


def test_console_shows_the_answer_table_from_the_same_blocks() -> None:
    summary = make_summary()
    answer, memory = console_tables(summary)
    assert answer.row_count == len(BASE) == 4  # a row per scenario and load
    assert memory.row_count == 3  # a row per variant
    verdicts = [c for col in answer.columns if str(col.header).endswith("(±5%)") for c in col.cells]
    assert len(verdicts) == len(summary.comparisons) == 8


def test_published_summary_names_command_machine_and_date_without_timelines(tmp_path: Path) -> None:
    summary = make_summary()
    summary.environment |= {"platform": "Linux-x86_64", "memory_gb": 24.0}
    run_dir, out = tmp_path / "run", tmp_path / "docs" / "results" / "x"
    run_dir.mkdir()
    summary.dump(run_dir)
    md_path, html_path = report.publish(run_dir, out, "make bench-standard")
    md, html = md_path.read_text(), html_path.read_text()
    assert "Command: `make bench-standard`. Machine: platform Linux-x86_64, cpus 2" in md
    assert "started 2026-11-25T12:00:00+00:00" in md and "## The answer" in md
    assert '<figure class="chart forest"' in html and '<figure class="chart timeline"' not in html
    assert sorted(p.name for p in out.iterdir()) == ["summary.html", "summary.md"]


def test_a_ratio_bound_next_to_one_is_not_printed_as_one() -> None:
    from bench.report.format import ratio
    from bench.summary import Ratio

    def shown(lo: float) -> str:
        return ratio(Ratio(point=1.05, lo=lo, hi=1.12, n=5, confidence=0.95, method="t"))

    assert shown(1.0031).endswith("[1.003, 1.12]")
    assert shown(0.9996).endswith("[0.9996, 1.12]")
    assert shown(1.0).endswith("[1.00, 1.12]")


def fault_cell(cell_id: str, variant: str, lost: int, notes: list[str]) -> CellResult:
    base = make_cell(("noop", "drain", 0.0), variant, 0)
    missed = [n for n in notes if n.startswith("fault did not strike")]
    return base.model_copy(
        update={
            "cell_id": cell_id,
            "scenario": "fault_mix",
            "model": "fault",
            "purpose": "fault",
            "lost": lost,
            "fault": FaultFigures(
                fault="db-drop",
                notes=notes,
                at_s=5.0,
                rejected_at_api=0,
                recovery_s=0.4 if not missed else None,
                dead_lettered=0,
                left_in_queue=0,
                consuming_after=True,
            ),
            "flags": missed,
            "valid": not missed,
        }
    )


def test_a_fault_that_did_not_strike_is_listed_and_never_counted(tmp_path: Path) -> None:
    summary = make_summary()
    summary.cells += [
        fault_cell("f-celery", "celery", 0, ["pg_terminate_backend on 4 worker connection(s)"]),
        fault_cell("f-taskiq", "taskiq", 7, ["fault did not strike: no Postgres connection"]),
    ]
    summary.dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    faults = md.split("## Delivery under faults")[1]
    table, rest = faults.split("### Fault cells that do not count")
    assert "Lost in the 1 fault cells that count: 0." in table
    assert "| db-drop | celery |" in table and "taskiq" not in table
    assert "| f-taskiq | db-drop | taskiq | fault did not strike: no Postgres connection |" in rest
    shown = {t.columns[0].header: t for t in console_tables(summary)}
    assert shown["fault"].row_count == 1  # the console's fault table leaves it out too
    assert list(shown["cell"].columns[0].cells) == ["f-taskiq"]  # and lists it apart


def test_a_component_the_harness_cannot_see_is_not_measured_not_zero(tmp_path: Path) -> None:
    summary = make_summary()
    unseen = "not measured here: no postgres process visible to the harness (another container)"
    for cell in summary.cells:
        cell.not_measured = {"postgres": unseen}
        cell.cpu_ms_per_job.pop("postgres")
    summary.groups = grouping.groups(summary.cells)
    summary.comparisons = grouping.comparisons(summary.cells)
    summary.dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    why = md.split("### Cost per job")[1].split("###")[0]
    cost = why.split("CPU per job, Taskiq / Celery")[0]  # the table above the ratios
    rows = [line.split("|") for line in cost.splitlines() if line.startswith("| fetch_rates |")]
    assert len(rows) == 6 and {r[10].strip() for r in rows} == {"not measured here"}
    assert {r[11].strip() for r in rows} == {"not measured here"}  # the whole system too
    assert f"- postgres: {unseen}" in why
    assert all(c.system_cpu_ratio and c.system_cpu_ratio.n == 0 for c in summary.comparisons)
    answer = md.split("## The answer")[1].split("## ")[0]
    row = next(line for line in answer.splitlines() if line.startswith("| fetch_rates |"))
    assert row.count("not measured here") == 2  # one per fairness mode, never a ratio of 0


def test_the_whole_systems_cpu_ratio_is_beside_each_throughput(rendered: tuple[str, str]) -> None:
    summary = make_summary()
    for comp in summary.comparisons:
        worker, system = comp.worker_cpu_ratio.point, comp.system_cpu_ratio
        assert worker is not None and system is not None and system.point is not None
        # The same API, broker and database cost per job on both sides pulls it toward 1.
        assert min(worker, 1.0) <= system.point <= max(worker, 1.0)
    md, _ = rendered
    answer = md.split("## The answer")[1].split("## Why")[0]
    assert "CPU/job, whole system: taskiq / celery" in answer
    assert "whole system" in md.split("### Cost per job")[1].split("###")[0]


def test_a_run_compared_only_at_a_distance_points_to_that_answer(tmp_path: Path) -> None:
    summary = make_summary()
    for c in summary.comparisons:
        c.rtt_ms = 1.0
    summary.dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    answer = md.split("## The answer")[1].split("##")[0]
    assert "at a distance only" in answer and "No Taskiq / Celery comparison" not in answer


def test_workers_the_harness_cannot_see_have_memory_not_measured(tmp_path: Path) -> None:
    summary = make_summary()
    for cell in summary.cells:  # --external: the deployment's workers
        cell.usage.pop("workers")
    summary.groups = grouping.groups(summary.cells)
    summary.dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    memory = md.split("### Memory")[1].split("##")[0]
    assert "Worker memory: not measured here" in memory and "|" not in memory


def test_latency_under_open_load_is_in_the_answer(tmp_path: Path) -> None:
    make_summary(latency=True).dump(tmp_path)
    md = report.render(tmp_path)[0].read_text()
    answer = md.split("## The answer")[1].split("## Why")[0]
    assert answer.index("### Latency under open load") < answer.index("### Memory")
    latency = answer.split("### Latency under open load")[1].split("### Memory")[0]
    rows = [r for r in latency.splitlines() if r.startswith("| fetch_rates | 50% |")]
    # equal in-flight: 150 / 300 ms; equal processes: 200 / 250 ms, every repetition
    x, lower = "\u00d7", "Taskiq's p99 lower"
    assert rows == [
        f"| fetch_rates | 50% | 85 | 0.50{x} [0.50, 0.50] | {lower} | {lower} "
        f"| 0.50{x} [0.50, 0.50] | 9 | 0.80{x} [0.80, 0.80] | {lower} | {lower} "
        f"| 0.80{x} [0.80, 0.80] |"
    ]
    same = "no practical difference"
    assert f"| fetch_rates | 80% | 136 | 1.01{x} [1.01, 1.01] | {same} |" in latency
    # each variant's percentiles with their intervals, and the generator's record
    assert "queue wait p95" in latency and "e2e p99" in latency
    # due, accepted (the least share) and done per second of the window; send lateness
    figures = "| 50% = 85 jobs/s | celery-threads | 85.0 / 85.0 (100.0%) / 85.0 | 7.50 |"
    assert figures in latency
    assert "| 300 [291, 309] |" in latency  # e2e p99 over five repetitions: [min, max]
    assert "seeded Poisson process" in latency and "never waits for an answer" in latency
    assert "Taskiq's p99 lower by more than 5% on fetch_rates latency 85 jobs/s" in answer
    assert "No practical difference in end-to-end p99 (within ±5%) on fetch_rates latency" in answer
    # not a throughput row: a latency cell's jobs/s is its offered rate
    assert "| fetch_rates | latency" not in answer.split("### Latency")[0]

"""The report renders a saved Summary (and nothing else) into Markdown and a
self-contained HTML page. The fixture is a small but realistic run: two variants,
two scenarios, drain and closed models, two repetitions, one invalid cell."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from bench import report, report_format, stats
from bench.results import (
    Bound,
    CellResult,
    Comparison,
    Group,
    Interval,
    LocustFigures,
    Percentiles,
    Series,
    Summary,
    Usage,
    save,
)

VARIANTS = ("celery", "taskiq")
# (scenario, model, load) -> variant -> throughput per repetition (jobs/s)
THROUGHPUT = {
    ("price_order", "drain", 1500.0): {"celery": [100.0, 110.0], "taskiq": [130.0, 150.0]},
    ("price_order", "closed", 16.0): {"celery": [80.0, 90.0], "taskiq": [78.0, 95.0]},
    ("fetch_rates", "drain", 400.0): {"celery": [150.0, 155.0], "taskiq": [118.0, 122.0]},
    ("fetch_rates", "closed", 32.0): {"celery": [150.0, 156.0], "taskiq": [300.0, 310.0]},
}
# (scenario, variant) -> (worker slots, median service ms)
SLOTS_SERVICE = {
    ("price_order", "celery"): (8, 60.0),
    ("price_order", "taskiq"): (16, 45.0),
    ("fetch_rates", "celery"): (16, 100.0),
    ("fetch_rates", "taskiq"): (32, 100.0),
}
INVALID = ("fetch_rates", "closed", "taskiq", 1)
INVALID_FLAG = "load generator CPU at 98% (saturated)"
LEDGER: dict[str, object] = {
    "queues": "quorum",
    "serializer": "json",
    "acks_late": True,
    "celery_prefetch_multiplier": 1,
    "taskiq_qos": 32,
    "worker_processes": 2,
    "taskiq_max_async_tasks": 16,
    "db_pool_size": 5,
    "retry_max_attempts": 3,
}


def make_cell(scenario: str, model: str, load: float, variant: str, rep: int) -> CellResult:
    thr = THROUGHPUT[(scenario, model, load)][variant][rep]
    slots, service = SLOTS_SERVICE[(scenario, variant)]
    bound = slots / (service / 1000)
    e2e = 1000.0 * (load if model == "drain" else 1.0) / thr / (2 if model == "drain" else 0.1)
    invalid = (scenario, model, variant, rep) == INVALID
    failed = 2 if (scenario, model, variant) == ("fetch_rates", "closed", "celery") else 0
    window = 20.0
    return CellResult(
        cell_id=f"{scenario}-{model}-{load:g}-{variant}-r{rep}",
        variant=variant,
        backend="taskiq" if variant == "taskiq" else "celery",
        scenario=scenario,
        task=scenario,
        model=model,
        load=load,
        rep=rep,
        window_s=window,
        accepted=int(thr * window) + failed,
        completed=int(thr * window),
        failed=failed,
        lost=0,
        redelivered=failed,
        duplicate_deliveries=0,
        republished=0,
        throughput=thr,
        e2e_ms=Percentiles(p50=e2e, p95=e2e * 1.8, p99=e2e * 2.5),
        queue_wait_ms=Percentiles(p50=e2e - service, p95=None, p99=None),
        service_ms=Percentiles(p50=service, p95=service * 1.5, p99=service * 2),
        bound=Bound(
            slots=slots,
            median_service_ms=service,
            slots_bound=bound,
            utilisation=thr / bound,
            bottleneck="worker slots" if thr / bound >= 0.9 else "worker CPU",
        ),
        locust=None
        if model == "drain"
        else LocustFigures(
            requests=int(thr * window * 2),
            failures=0,
            rps=thr * 2,
            p50_ms=4.0,
            p95_ms=9.0,
            p99_ms=15.0,
            job_p50_ms=e2e * 1.05,
            job_p99_ms=e2e * 2.6,
        ),
        usage={
            "api": Usage(cpu_avg=35.0, cpu_max=60.0, rss_max_mb=95.0),
            "workers": Usage(
                cpu_avg=120.0 if variant == "taskiq" else 150.0,
                cpu_max=190.0,
                rss_max_mb=180.0 if variant == "taskiq" else 260.0,
            ),
            "rabbitmq": Usage(cpu_avg=20.0, cpu_max=35.0, rss_max_mb=140.0),
            "postgres": Usage(cpu_avg=25.0, cpu_max=40.0, rss_max_mb=120.0),
            "locust": Usage(
                cpu_avg=15.0 if model == "closed" else 0.0, cpu_max=30.0, rss_max_mb=70.0
            ),
            "stub": Usage(cpu_avg=5.0, cpu_max=8.0, rss_max_mb=40.0),
        },
        series=Series(
            t=[0.0, 1.0, 2.0, 3.0, 4.0],
            completions=[thr * 0.5, thr, thr * 1.02, thr * 0.98, thr * 0.4],
            queue_depth=[load, load * 0.7, load * 0.4, load * 0.1, 0.0]
            if model == "drain"
            else [3.0, 5.0, 4.0, 6.0, 2.0],
        ),
        flags=[INVALID_FLAG] if invalid else [],
        valid=not invalid,
    )


def make_summary() -> Summary:
    cells = [
        make_cell(scenario, model, load, variant, rep)
        for scenario, model, load in THROUGHPUT
        for rep in (0, 1)
        for variant in VARIANTS  # interleaved A B A B
    ]
    groups, comparisons = [], []
    for scenario, model, load in THROUGHPUT:
        of: dict[str, list[CellResult]] = {
            v: [
                c
                for c in cells
                if (c.scenario, c.model, c.load, c.variant) == (scenario, model, load, v)
            ]
            for v in VARIANTS
        }
        for variant, mine in of.items():
            groups.append(
                Group(
                    scenario=scenario,
                    task=scenario,
                    model=model,
                    load=load,
                    variant=variant,
                    throughput=stats.median_interval([c.throughput for c in mine]),
                    e2e_p50=stats.median_interval([c.e2e_ms.p50 or 0.0 for c in mine]),
                    e2e_p99=stats.median_interval([c.e2e_ms.p99 or 0.0 for c in mine]),
                    failed=sum(c.failed for c in mine),
                    lost=sum(c.lost for c in mine),
                    duplicate_deliveries=sum(c.duplicate_deliveries for c in mine),
                    invalid_reps=sum(not c.valid for c in mine),
                )
            )
        celery, taskiq = of["celery"], of["taskiq"]
        comparisons.append(
            Comparison(
                scenario=scenario,
                model=model,
                load=load,
                baseline="celery",
                throughput_ratio=stats.paired_ratio(
                    [c.throughput for c in taskiq], [c.throughput for c in celery]
                ),
                e2e_p50_ratio=stats.paired_ratio(
                    [c.e2e_ms.p50 or 0.0 for c in taskiq], [c.e2e_ms.p50 or 0.0 for c in celery]
                ),
            )
        )
    return Summary(
        run_id="20261124-2100-quick",
        profile="quick",
        started="2026-11-24T21:00:00+00:00",
        wall_s=1234.5,
        ledger=LEDGER,
        environment={"python": "3.12.7", "cpu_count": 2, "celery": "5.5.2", "taskiq": "0.11.17"},
        cells=cells,
        groups=groups,
        comparisons=comparisons,
    )


@pytest.fixture(scope="module")
def summary() -> Summary:
    return make_summary()


@pytest.fixture
def run_dir(tmp_path: Path, summary: Summary) -> Path:
    directory = tmp_path / summary.run_id
    directory.mkdir()
    save(summary, directory)
    return directory


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, summary: Summary) -> tuple[str, str]:
    """report.md and report.html of the fixture run, rendered once for the read-only tests."""
    directory = tmp_path_factory.mktemp("run")
    save(summary, directory)
    md, page = report.render(directory)
    return md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")


def comparison(summary: Summary, scenario: str, model: str) -> Comparison:
    return next(c for c in summary.comparisons if (c.scenario, c.model) == (scenario, model))


def md_row(md: str, scenario: str, model: str) -> str:
    rows = [line for line in md.splitlines() if line.startswith(f"| {scenario} | {model} | ")]
    assert len(rows) == 1, rows
    return rows[0]


def test_fixture_covers_all_three_verdicts(summary: Summary) -> None:
    verdicts = {report.verdict(c.throughput_ratio) for c in summary.comparisons}
    assert verdicts == {"Taskiq faster", "Celery faster", "no clear difference"}


def test_render_writes_report_md_and_html_into_the_run_dir(run_dir: Path) -> None:
    md, page = report.render(run_dir)
    assert (md, page) == (run_dir / "report.md", run_dir / "report.html")
    assert md.stat().st_size > 0 and page.stat().st_size > 0


def test_html_references_nothing_outside_itself(rendered: tuple[str, str]) -> None:
    _, page = rendered
    for needle in (
        'src="http',
        "src='http",
        'href="http',
        "url(http",
        "@import",
        "<link",
        "<script",
    ):
        assert needle not in page, needle
    assert "http://" not in page and "https://" not in page
    assert "<style>" in page


def test_html_inlines_an_svg_for_every_chart_type(rendered: tuple[str, str]) -> None:
    _, page = rendered
    for kind in ("throughput", "latency", "timeline", "usage"):
        figures = re.findall(rf'<figure class="chart {kind}"[^>]*>\s*<svg', page)
        assert figures, kind
    assert page.count("<svg") >= 4
    assert page.count("<svg") == page.count("</svg>")
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_html_holds_ledger_keys_and_verdict_rows(
    rendered: tuple[str, str], summary: Summary
) -> None:
    _, page = rendered
    for key in LEDGER:
        assert f"<td>{key}</td>" in page, key
    expected = report.ratio(comparison(summary, "price_order", "drain").throughput_ratio)
    assert re.search(
        rf"<tr><td>price_order</td><td>drain</td><td>drain 1500 jobs</td>.*{re.escape(expected)}"
        r".*<td>Taskiq faster</td></tr>",
        page,
    )
    assert "<td>Celery faster</td>" in page and "<td>no clear difference</td>" in page


def test_markdown_verdict_rows_carry_ratio_interval_and_verdict(
    rendered: tuple[str, str], summary: Summary
) -> None:
    md, _ = rendered
    cases = [
        ("price_order", "drain", "Taskiq faster"),
        ("price_order", "closed", "no clear difference"),
        ("fetch_rates", "drain", "Celery faster"),
        ("fetch_rates", "closed", "Taskiq faster"),
    ]
    for scenario, model, word in cases:
        row = md_row(md, scenario, model)
        comp = comparison(summary, scenario, model)
        assert row.endswith(f"| {report.ratio(comp.throughput_ratio)} | {word} |"), row
    assert "taskiq / celery jobs/s" in md and "verdict vs celery" in md
    # the no-clear-difference interval really contains 1.0
    close = comparison(summary, "price_order", "closed").throughput_ratio
    assert close.lo is not None and close.hi is not None
    assert close.lo <= 1.0 <= close.hi


def test_markdown_verdict_row_shows_each_variants_throughput_interval(
    rendered: tuple[str, str], summary: Summary
) -> None:
    md, _ = rendered
    row = md_row(md, "price_order", "drain")
    for g in summary.groups:
        if (g.scenario, g.model) == ("price_order", "drain"):
            assert report.interval(g.throughput) in row
    assert "| 0/0/0 |" in row


def test_markdown_lists_the_invalid_cell_with_its_flag(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    line = next(
        ln for ln in md.splitlines() if "fetch_rates-closed-32-taskiq-r1" in ln and "invalid" in ln
    )
    assert INVALID_FLAG in line
    assert "Cells: 16 (1 invalid)" in md


def test_markdown_has_no_images_and_points_to_the_html(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    assert "![" not in md and "<svg" not in md
    assert md.count("Charts: see report.html.") == 1


def test_markdown_header_names_run_profile_date_and_wall_time(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    assert md.startswith("# queuebench report: 20261124-2100-quick\n")
    assert "Profile: quick." in md and "2026-11-24T21:00:00+00:00" in md
    assert "Wall time: 20 min 34 s." in md


def test_bottleneck_names_the_group_at_its_slots_bound(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    # celery fetch_rates closed: 150 and 156 jobs/s against 16 slots / 100 ms = 160 jobs/s
    row = next(
        ln for ln in md.splitlines() if ln.startswith("| fetch_rates | closed 32 users | celery |")
    )
    assert "| worker slots |" in row
    assert "celery at 96% of its slots/latency bound (160 jobs/s = 16 slots / 100 ms)" in row


def test_locust_and_jobs_table_figures_are_labelled_apart(rendered: tuple[str, str]) -> None:
    md, page = rendered
    assert "Locust: req/s" in md and "jobs table: jobs/s" in md
    assert "jobs table (server side, the truth)" in md and "Locust (client side)" in md
    assert '<th class="group" colspan="7">Locust (client side)</th>' in page
    assert '<th class="group" colspan="4">jobs table (server side, the truth)</th>' in page
    # closed cells have Locust figures, drain cells do not
    assert "| price_order-closed-16-taskiq-r0 | taskiq |" in md
    assert "| price_order-drain-1500-taskiq-r0 | taskiq |" not in md


def test_ledger_and_environment_list_every_key_and_value(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    assert "| queues | quorum |" in md and "| acks_late | true |" in md
    assert "| taskiq_qos | 32 |" in md and "| cpu_count | 2 |" in md


def test_how_to_read_is_generated_from_the_data(rendered: tuple[str, str]) -> None:
    md, _ = rendered
    section = md.split("## How to read this", 1)[1].split("\n## ", 1)[0]
    assert "Taskiq faster in 2, Celery faster in 1, no clear difference in 1" in section
    assert "Largest Celery lead: celery" in section and "fetch_rates drain 400 jobs" in section
    assert "celery at fetch_rates closed 32 users: 4 failed, 0 lost" in section
    assert "1 of 16 cells was marked invalid" in section
    assert "bound, where throughput is what the slots" in section
    assert "One 2-core host (this run: 2 CPUs)" in section
    assert "WORKER_PROCESSES=2, WORKER_SLOTS=16" in section
    assert "loopback network" in section.lower() and "single RabbitMQ node" in section


def test_rendering_twice_gives_identical_files(run_dir: Path) -> None:
    md, page = report.render(run_dir)
    first_md, first_page = md.read_text(), page.read_text()
    md, page = report.render(run_dir)
    assert md.read_text() == first_md
    assert page.read_text() == first_page


def test_render_reads_only_summary_json(run_dir: Path) -> None:
    (run_dir / "cells").mkdir()  # raw per-cell data may sit beside it; the report ignores it
    (run_dir / "cells" / "junk.csv").write_text("not,a,summary\n")
    md, _ = report.render(run_dir)
    assert "queuebench report" in md.read_text()


def test_charts_close_every_figure(run_dir: Path) -> None:
    plt.close("all")
    report.render(run_dir)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("lo", "hi", "word"),
    [
        (1.05, 1.3, "Taskiq faster"),
        (0.7, 0.95, "Celery faster"),
        (0.9, 1.1, "no clear difference"),
        (1.0, 1.2, "no clear difference"),
    ],
)
def test_verdict_is_decided_by_whether_the_interval_holds_one(
    lo: float, hi: float, word: str
) -> None:
    assert report.verdict(Interval(median=(lo + hi) / 2, lo=lo, hi=hi, n=3)) == word


def test_unmeasured_ratio_is_not_compared_and_shown_as_a_dash() -> None:
    nothing = Interval(median=None, lo=None, hi=None, n=0)
    assert report.verdict(nothing) == "not compared"
    assert report.ratio(nothing) == report.interval(nothing) == report_format.DASH


def test_summary_table_has_one_row_per_group(summary: Summary) -> None:
    table = report.summary_table(summary)
    assert table.row_count == len(summary.groups)
    headers = [str(c.header) for c in table.columns]
    assert headers[:5] == ["variant", "scenario", "task", "model", "load"]
    assert {"jobs/s [95%]", "e2e p50 ms", "e2e p99 ms", "failed", "lost"} <= set(headers)


def test_empty_run_still_renders(tmp_path: Path) -> None:
    empty = Summary(
        run_id="empty",
        profile="quick",
        started="-",
        wall_s=1.0,
        ledger={},
        environment={},
        cells=[],
    )
    save(empty, tmp_path)
    md, page = report.render(tmp_path)
    assert "No Taskiq/Celery comparison was recorded" in md.read_text()
    assert "<svg" not in page.read_text()

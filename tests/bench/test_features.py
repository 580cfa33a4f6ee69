"""The features' report: the matrix with a run's figures (ranges over its rounds), each
round's value per cell, priorities on a broker that ignores them printed as not measured,
never as a figure; and the README's matrix names the same features and tests."""

import re
from pathlib import Path
from typing import Any

from bench.features import page
from bench.report.blocks import to_markdown
from bench.spec.features import FEATURES

README = Path(__file__).resolve().parents[2] / "README.md"


def cell(p50: float | None) -> dict[str, Any]:
    p99 = None if p50 is None else p50 * 2
    return {"jobs": 10, "done": 10, "p50_s": p50, "p99_s": p99, "max_s": p99}


def figures(priority: bool, second_idle: float | None = 0.005) -> dict[str, Any]:
    def one(idle: float | None) -> dict[str, Any]:
        return {
            "idle": cell(idle),
            "backlog": cell(60.0),
            "priority": {"high": cell(0.6), "normal": cell(80.0)} if priority else None,
        }

    return {
        "rabbitmq": "4.0.5" if priority else "3.10.8",
        "delay_s": 10.0,
        "paced_jobs": 300,
        "pace_s": 1 / 30,
        "backlog_jobs": 12000,
        "rounds": [
            {"celery": one(0.005), "taskiq": one(0.005)},
            {"celery": one(second_idle), "taskiq": one(0.005)},
        ],
    }


def row(markdown: str, first: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {first} |"))
    return [c.strip() for c in line.strip("|").split(" | ")]


def test_each_round_shows_in_its_cell() -> None:
    md = to_markdown(page(figures(priority=True), "features-1"))
    assert "RabbitMQ 4.0.5" in md
    assert row(md, "taskiq")[1:] == [
        "0.005, 0.005", "0.010, 0.010", "60.000, 60.000", "120.000, 120.000",
        "0.600, 0.600", "80.000, 80.000",
    ]  # fmt: skip


def test_the_matrix_carries_the_runs_figures_as_ranges() -> None:
    md = to_markdown(page(figures(priority=True, second_idle=0.012), "features-1"))
    delay = row(md, "delayed jobs")[-1]
    assert "celery: a 10 s delay starts p50 5-12 ms / p99 10-24 ms late" in delay
    assert "taskiq: a 10 s delay starts p50 5 ms / p99 10 ms late" in delay
    assert "high 0.60 s, normal 80.00 s" in row(md, "priorities")[-1]
    assert row(md, "rate limits per task")[-1].endswith("printed by `pytest -s` on its test")


def test_a_cell_where_no_job_ran_says_so() -> None:
    md = to_markdown(page(figures(priority=True, second_idle=None), "features-1"))
    assert "p50 5 ms" in row(md, "delayed jobs")[-1]  # the round that ran
    md = to_markdown(page(figures(priority=True, second_idle=None) | {"rounds": []}, "x"))
    assert "none ran" in row(md, "delayed jobs")[-1]


def test_priorities_on_an_old_broker_are_not_measured() -> None:
    md = to_markdown(page(figures(priority=False), "features-1"))
    assert (
        row(md, "celery").count("not measured: quorum queues ignore priorities before RabbitMQ 4")
        == 2
    )
    assert "0.600" not in md
    assert row(md, "priorities")[-1].startswith("not measured")


def test_the_readme_matrix_names_the_same_features_and_tests() -> None:
    text = README.read_text()
    matrix = text[text.index("| feature | Celery") :].split("\n\n")[0].splitlines()[2:]
    assert len(matrix) == len(FEATURES)
    for line, feature in zip(matrix, FEATURES, strict=True):
        assert line.startswith(f"| {feature.name}"), (line[:40], feature.name)
        assert f"`{feature.test}`" in line
        assert Path(README.parent / feature.test).exists()
    assert not re.search(r"\| +\|", "\n".join(matrix)), "an empty cell in the matrix"

"""The features' figures page: each round's value per cell; priorities on a broker that
ignores them are printed as not measured, never as a figure."""

from typing import Any

from bench.features import render


def cell(p50: float) -> dict[str, Any]:
    return {"jobs": 10, "done": 10, "p50_s": p50, "p99_s": p50 * 2, "max_s": p50 * 3}


def figures(priority: bool) -> dict[str, Any]:
    one = {
        "idle": cell(0.005),
        "backlog": cell(60.0),
        "priority": {"high": cell(0.6), "normal": cell(80.0)} if priority else None,
    }
    return {
        "rabbitmq": "4.0.5" if priority else "3.10.8",
        "delay_s": 10.0,
        "paced_jobs": 300,
        "pace_s": 1 / 30,
        "backlog_jobs": 12000,
        "rounds": [{"celery": one, "taskiq": one}, {"celery": one, "taskiq": one}],
    }


def test_each_round_shows_in_its_cell() -> None:
    page = render(figures(priority=True))
    assert "RabbitMQ 4.0.5" in page
    row = next(line for line in page.splitlines() if line.startswith("| taskiq"))
    assert row.split(" | ")[1:] == [
        "0.005, 0.005", "0.010, 0.010", "60.000, 60.000", "120.000, 120.000",
        "0.600, 0.600", "80.000, 80.000 |",
    ]  # fmt: skip


def test_priorities_on_an_old_broker_are_not_measured() -> None:
    page = render(figures(priority=False))
    row = next(line for line in page.splitlines() if line.startswith("| celery"))
    assert row.count("not measured") == 2
    assert "0.600" not in row

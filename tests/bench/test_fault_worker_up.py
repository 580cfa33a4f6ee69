"""'Worker up after' a fault: seen consuming after the drain, or not within the harness's
wait. A record made before the wait looked once, the moment the queue drained, when a Celery
worker between two reconnect attempts has no consumer: that is "not measured", never a NO."""

import pytest

from bench.analyse.fault import consuming_after
from bench.raw import Marks
from bench.report.faults import worker_up
from bench.summary import FaultFigures


def figures(marks: Marks) -> FaultFigures:
    return FaultFigures(
        fault="broker-restart", notes=[], at_s=5.0, rejected_at_api=0, recovery_s=None,
        dead_lettered=0, left_in_queue=0, consuming_after=consuming_after(marks),
        consumers_waited_s=marks.consumers_waited_s, consumers_limit_s=marks.consumers_limit_s,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("consumers", "limit", "waited", "shown"),
    [
        (2, 30.0, 0.0, "yes"),
        (1, 30.0, 7.5, "yes, 7.50 s after the drain"),
        (0, 30.0, None, "NO within 30.0 s"),
        (0, None, None, "not measured"),  # an older record: one look, no wait
        (2, None, None, "yes"),
    ],
)
def test_what_the_table_says(
    consumers: int, limit: float | None, waited: float | None, shown: str
) -> None:
    marks = Marks(
        t_load_start=0.0, consumers=consumers, consumers_limit_s=limit, consumers_waited_s=waited
    )
    assert worker_up(figures(marks)) == shown

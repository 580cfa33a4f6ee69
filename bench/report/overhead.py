"""What the service's worker costs against a minimal worker of the same library running the
same lifecycle (bench_service/minimal_taskiq.py): its additions' price, paired drains."""

from bench import stats
from bench.report.blocks import Block, Heading, Para, Table
from bench.report.format import ratio
from bench.summary import Summary

WHAT = (
    "The minimal worker has the same broker arguments and lifecycle, and none of the "
    "service's additions: the hand-back broker and middleware (a failed job dead-lettered, "
    "a database outage handed back), Taskiq's dependency injection, the cancel listener. "
    "The verdict reads the ratio against the run's margin of practical equivalence."
)


def overhead_blocks(s: Summary) -> list[Block]:
    rows = [
        [o.scenario, o.variant, o.reference, ratio(o.throughput_ratio),
         stats.practical_verdict(o.throughput_ratio, s.margin, "faster", "slower"),
         ratio(o.worker_cpu_ratio)]
        for o in s.overheads
    ]  # fmt: skip
    if not rows:
        return []
    headers = ["job", "worker", "against", "jobs/s worker / minimal", "verdict",
               "worker CPU/job: worker / minimal"]  # fmt: skip
    return [Heading(2, "The service's worker against a minimal one"), Para(WHAT),
            Table(headers, rows)]  # fmt: skip

"""The producer side: what accepting and publishing a job costs one API process, with
no worker running, per API variant: our Celery path (Celery's message, published by
aio-pika), Celery's send_task in worker threads, send_task called on the event loop
(the mistake), and Taskiq's kiq()."""

import statistics
from collections.abc import Iterable

from bench.report.blocks import Block, Heading, Para, Table
from bench.report.format import DASH, interval, load_label, num
from bench.spec.models import Purpose
from bench.spec.variants import order_key
from bench.summary import CellResult, Summary


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def producer_blocks(summary: Summary) -> list[Block]:
    cells = [c for c in summary.cells if c.purpose == Purpose.enqueue]
    if not cells:
        return []
    groups = {
        (g.model, g.load, g.variant): g for g in summary.groups if g.purpose == Purpose.enqueue
    }
    rows = []
    for (model, load, variant), g in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], order_key(kv[0][2]))
    ):
        mine: list[CellResult] = [
            c for c in cells if (c.model, c.load, c.variant) == (model, load, variant) and c.valid
        ]
        lag = [c.loop_lag for c in mine if c.loop_lag is not None]
        api = g.cpu_ms_per_job.get("api")
        rows.append(
            [
                variant,
                load_label(model, load),
                interval(g.throughput),
                num(_median(c.locust.p50_ms for c in mine if c.locust)),
                num(_median(c.locust.p99_ms for c in mine if c.locust)),
                num(_median(x.p50_ms for x in lag)),
                num(_median(x.p99_ms for x in lag)),
                num(_median(x.max_ms for x in lag)),
                interval(api) if api else DASH,
                str(len(mine)),
            ]
        )
    headers = [
        "API variant",
        "load",
        "accepted jobs/s",
        "POST p50 ms",
        "POST p99 ms",
        "loop lag p50 ms",
        "loop lag p99 ms",
        "loop lag max ms",
        "API CPU ms/job",
        "reps",
    ]
    return [
        Heading(2, "The producer side: what enqueueing costs the API"),
        Para(
            "One API process, no worker: accepted jobs per second (rows enqueued in the "
            "window), Locust's POST latency, the API's event-loop lag (how late a 10 ms timer "
            "woke; over warm-up and window) and its CPU per accepted job. 'celery' publishes the "
            "message Celery builds through aio-pika on the event loop (api/publishers.py); "
            "'celery-in-thread' calls Celery's send_task in worker threads; 'celery-on-loop' "
            "calls it straight from the async endpoint: kombu's blocking I/O and its wait for "
            "RabbitMQ's confirm stall every other request on the loop. Don't do that."
        ),
        Table(headers, rows),
    ]

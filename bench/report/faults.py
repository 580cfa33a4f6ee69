"""The "Delivery under faults" section: what each fault did to each backend."""

from bench.report.blocks import Block, Bullets, Heading, Para, Table
from bench.report.format import DASH, num
from bench.spec.variants import order_key
from bench.summary import CellResult, FaultFigures, Summary

HEADERS = [
    "fault",
    "variant",
    "accepted",
    "completed",
    "failed",
    "lost",
    "re-run",
    "re-run without effect",
    "external calls repeated",
    "republished",
    "rows failed at publish (503)",
    "recovery s",
    "resumed s",
    "dead-lettered",
    "left in queue",
    "worker up after",
    "what happened",
]
DURING = [
    "fault",
    "variant",
    "lasted s",
    "503s while it lasted",
    "first 503 after s",
    "POST p50 ms",
    "POST p99 ms",
    "POST max ms",
    "jobs done while it lasted",
    "failed at their deadline",
    "cut at s",
]
# Settings that decide delivery, quoted from the ledger next to the table.
DELIVERY_KEYS = ("queues", "acknowledgement", "retry_policy", "prefetch_per_process")
LIBRARY_FACTS = [
    "Undecodable message bodies are acknowledged and dropped by both libraries, with only a log "
    "line (Celery: 'Can't decode message body', critical; Taskiq: 'Cannot parse message', "
    "warning). No setting dead-letters them; tests/e2e/test_poison.py pins this.",
    "A message naming an unknown task: Celery rejects it, so it lands in the dead-letter queue "
    "we configure (<queue>.dead_letter); Taskiq acknowledges and drops it with a warning.",
    "Both are at-least-once: a job in flight when its worker dies is delivered again (re-run). "
    "Database effects cannot double: a job's writes commit with its 'done', only while the row "
    "still says running; a delivery that finds the job finished rolls back and is counted as "
    "'re-run without effect'. An external call made before the crash is made again: the stub "
    "counts calls per job id (sent as Idempotency-Key), beyond one per job they are 'external "
    "calls repeated'.",
    "A message returned to its queue more than DELIVERY_LIMIT times (crashes, hand-backs while "
    "the database is down) is dead-lettered by RabbitMQ (quorum x-delivery-limit); the API's "
    "recovery marks its job failed. Rows an API process left 'publishing' (killed between "
    "commit and publish) are published again by the recovery: 'republished'.",
]


def fault_cells(summary: Summary) -> list[CellResult]:
    cells = [c for c in summary.cells if c.fault is not None]
    return sorted(cells, key=lambda c: (c.fault.fault if c.fault else "", order_key(c.variant)))


def worker_up(f: FaultFigures) -> str:
    if f.consuming_after is None:
        return "not measured"
    if not f.consuming_after:
        return f"NO within {num(f.consumers_limit_s)} s" if f.consumers_limit_s else "NO"
    if f.consumers_waited_s:  # back only during the wait
        return f"yes, {num(f.consumers_waited_s)} s after the drain"
    return "yes"


def row(c: CellResult) -> list[str]:
    f = c.fault
    assert f is not None
    recovery = DASH if f.recovery_s is None else f"{f.recovery_s:.2f}"
    return [
        f.fault,
        c.variant,
        str(c.accepted),
        str(c.done),
        str(c.failed),
        str(c.lost),
        str(c.redelivered),
        str(c.duplicate_deliveries),
        "n/a" if c.external_repeats is None else str(c.external_repeats),
        str(c.republished),
        str(f.rejected_at_api),
        recovery,
        DASH if f.resumed_s is None else f"{f.resumed_s:.2f}",
        str(f.dead_lettered),
        str(f.left_in_queue),
        worker_up(f),
        "; ".join(f.notes),
    ]


def while_it_lasted(c: CellResult) -> list[str]:
    f = c.fault
    assert f is not None
    return [
        f.fault,
        c.variant,
        num(f.lasted_s),
        "n/a" if f.refused_during is None else str(f.refused_during),
        num(f.first_refusal_s),
        num(f.post_p50_during_ms),
        num(f.post_p99_during_ms),
        num(f.post_max_during_ms),
        "n/a" if f.flowing_during is None else str(f.flowing_during),
        str(f.deadline_failed),
        num(f.cut_at_s),
    ]


def seen(c: CellResult) -> list[str]:
    """What the strike itself saw, seconds after it; past its bound, said so."""
    f = c.fault
    assert f is not None
    said = [
        f"{what} {num(s)}" if s is not None
        else f"{what}: NOT within {num(f.timing_bounds.get(what))} s"
        for what, s in f.timings.items()
    ]  # fmt: skip
    return [f.fault, c.variant, "; ".join(said)]


def not_counted(cells: list[CellResult]) -> list[list[str]]:
    """Fault cells whose fault did not strike (or whose figures cannot be trusted), with why."""
    return [
        [c.cell_id, c.fault.fault if c.fault else DASH, c.variant, "; ".join(c.flags) or DASH]
        for c in cells
        if not c.valid
    ]


def fault_blocks(summary: Summary, brief: bool = False) -> list[Block]:
    """The section; `brief` (the console): the tables only, without the notes column."""
    every = fault_cells(summary)
    not_run = [f"{fault}: {why}" for fault, why in sorted(summary.not_run.items())]
    if not every:
        if not not_run:
            return []
        return [Heading(2, "Delivery under faults"), Para(NOT_RUN), Bullets(not_run)]
    cells = [c for c in every if c.valid]
    lost = sum(c.lost for c in cells)
    skipped = not_counted(every)
    counted = f"Lost in the {len(cells)} fault cells that count: " + (
        f"{lost} (see the rows with lost > 0)." if lost else "0."
    )
    if not cells:
        counted = "No fault cell counts: none of the faults struck (see below)."
    headers, rows = HEADERS, [row(c) for c in cells]
    if brief:
        headers, rows = headers[:-1], [r[:-1] for r in rows]
    blocks: list[Block] = [Heading(2, "Delivery under faults")]
    if not brief:
        blocks.append(Para(EXPLAINED))
    blocks += [
        Para(counted),
        Table(headers, rows, empty="No fault cell counts."),
        Para(
            "While each fault lasted (from its strike to its end): the API's answers to the "
            "POSTs sent then (Locust's log of every POST), the jobs that still finished, and "
            "the rows that ran out of attempts at their deadline with how long their last "
            "attempt ran (n/a: nothing to count, because the fault was an instant, as a kill "
            "is, or no POST was sent while it lasted)."
        ),
        Table(DURING, [while_it_lasted(c) for c in cells], empty="No fault cell counts."),
    ]
    timed = [seen(c) for c in cells if c.fault is not None and c.fault.timings]
    if timed:
        blocks += [
            Para(SEEN),
            Table(["fault", "variant", "seen, s after the strike"], timed),
        ]
    if skipped:
        blocks += [
            Heading(3, "Fault cells that do not count"),
            Para(
                "Their fault did not strike (or could not be injected), so nothing they show "
                "was survived: they are left out of every count above."
            ),
            Table(["cell", "fault", "variant", "why"], skipped),
        ]
    if not_run:
        blocks += [Para(NOT_RUN), Bullets(not_run)]
    if brief:
        return blocks
    settings = [f"{k}: {summary.ledger[k]}" for k in DELIVERY_KEYS if k in summary.ledger]
    return [
        *blocks,
        Heading(3, "Settings in force"),
        Bullets(settings),
        Heading(3, "What the libraries do by themselves"),
        Bullets(LIBRARY_FACTS),
    ]


SEEN = (
    "What the strike itself watched, in seconds after it: when each group of clients (the "
    "workers, the API) opened its first new connection to RabbitMQ after its connections "
    "went silent or were cut (the first process of the group to notice); when the cluster "
    "had a new leader for the queue (polled with rabbitmqctl about once a second, so an "
    "upper bound), and when the killed node, started again, was back in the cluster and "
    "online for the queue. NOT within: the bound given passed first."
)
NOT_RUN = (
    "Faults of the profile not run here (their tools are not on this machine), so not measured:"
)
EXPLAINED = (
    "Each fault strikes a third of the way into a steady open-model load of fault_mix "
    "(price_order and fetch_rates, each holding its transaction 200 ms before 'done' "
    "through the TEST_HOLD_MS hook, so jobs are always in flight). "
    "Counts come from the jobs table after the drain. Accepted excludes requests the API "
    "refused with 503 after writing their row (the publish failed: the row says failed, "
    "nothing was queued); a 503 while RabbitMQ blocks publishers writes no row, and is "
    "counted only in the second table, from every POST. Re-run = jobs with "
    "more than one attempt; re-run without effect = deliveries that found their job "
    "finished; external calls repeated = calls beyond one per job at the external "
    "service; republished = jobs the recovery published again; recovery = from the "
    f"fault to the first completion of a job that started after the fault ended ({DASH}: no "
    "job started after it, as when the load ended before the fault did); resumed = from the "
    "strike to the first completion of a job the API accepted after it. Worker up after = the "
    "workers consuming from the queue again after the drain, waited for up to the time given (a "
    "Celery worker retries a lost broker with a growing backoff); not measured where the run "
    "looked only once, the moment the queue drained."
)

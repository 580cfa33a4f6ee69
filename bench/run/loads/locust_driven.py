"""Closed, open, latency, enqueue and fault cells: the workers up (none for enqueue), Locust
drives the API for a warm-up and the measured load, a fault strikes if the cell has one, then
the cell waits until every job it accepted has finished. A latency cell's arrivals follow a
seeded schedule that starts once Locust is up: its window is the schedule's, after warm-up."""

import math
import time
from pathlib import Path

from bench.raw import LOCUST_STATS, POSTS_PREFIX, Cell, Marks
from bench.run import commands
from bench.run.context import Context, Phase
from bench.run.faults import registry
from bench.run.faults.injector import Injector
from bench.run.probes import amqp
from bench.run.processes.supervisor import Processes
from bench.run.wait import within
from bench.spec.models import Model
from core.topology import DeadLetters

PER_USER_RATE = 2.0  # jobs/s per open-model user: pacing holds while replies take < 0.5 s
MAX_OPEN_USERS = 500
DRAIN_LIMIT_S = 180.0
# After a fault cell drained: how long its workers get to consume again (Celery retries a
# lost broker with a growing backoff, 2 + 4 + 6 + 8 s before the fifth attempt)
RECONNECT_LIMIT_S = 30.0
# From Locust's start to its first arrival (import and spawn); a later start is in the warm-up.
LOCUST_UP_S = 1.2


def users_of(cell: Cell, locust_workers: int) -> tuple[int, str, float]:
    """Locust users, their class and each one's rate (jobs/s)."""
    if cell.model is Model.closed:
        return int(cell.load), "ClosedUser", 1.0
    if cell.model is Model.enqueue:
        return int(cell.load), "EnqueueUser", 1.0
    if cell.model is Model.latency:  # one open-loop user per Locust process
        users = max(1, locust_workers)
        return users, "PoissonUser", cell.load / users
    # open, enqueue-rate, fault: a user needs a reply within 1/PER_USER_RATE s to keep pace
    users = max(1, min(MAX_OPEN_USERS, math.ceil(cell.load / PER_USER_RATE)))
    return users, "OpenUser", cell.load / users


def schedule_seed(cell: Cell) -> str:
    """The same arrivals and jobs for both variants of a pair, new ones every repetition."""
    return f"{cell.scenario}:{cell.load:g}:{cell.rep}"


def run_locust(
    procs: Processes, cell: Cell, run_id: str, cell_dir: Path, api_url: str, run_time_s: float,
    locust_workers: int, schedule: dict[str, str] | None = None,
) -> None:  # fmt: skip
    users, user_class, rate = users_of(cell, locust_workers)
    out = str(cell_dir / "locust")
    cmd = commands.locust(users, run_time_s, api_url, out, user_class, locust_workers)
    env = {
        "BENCH_SCENARIO": cell.scenario,
        "BENCH_BACKEND": cell.backend,
        "BENCH_RUN_ID": run_id,
        "BENCH_RATE": str(rate),
        "BENCH_POSTS": str(cell_dir / POSTS_PREFIX),
        **(schedule or {}),
    }
    proc = procs.start("locust", cmd, env)
    for n in range(locust_workers):  # distributed: one master, N local worker processes
        procs.start(f"locust.{n}", commands.locust_worker(user_class), env)
    try:
        proc.wait(run_time_s + 90)
    finally:
        procs.stop_all("locust")
    if not (cell_dir / LOCUST_STATS).exists():
        log = (procs.log_dir / "locust.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"Locust produced no stats (exit {proc.returncode}):\n{log}")


def queue_state(ctx: Context, cell: Cell, marks: Marks) -> None:
    """Messages left in the backend's queue and in its dead-letter queue."""
    queue = ctx.settings.queue_for(cell.backend)
    marks.left_in_queue, marks.consumers = amqp.counts(ctx.settings.amqp_url, queue)
    marks.dead_lettered, _ = amqp.counts(ctx.settings.amqp_url, DeadLetters.of(queue).kept)


def run(ctx: Context, cell: Cell, run_id: str, cell_dir: Path, on_phase: Phase) -> Marks:
    fault = registry.of(cell)
    api_env: dict[str, str] = {}
    try:
        if fault is not None:
            fault.prepare(ctx)
            api_env = fault.api_env()
        if api_env:  # the API as the fault needs it, for this cell only
            ctx.services.restart_api(api_env)
        if cell.model.producer:
            ctx.workers.stop()  # the API's rate alone: nothing consumes
        else:
            on_phase("start workers")
            ctx.workers.start(cell)
            ctx.workers.wait_consuming(cell)
        ctx.services.loop_lag(reset=True)
        with ctx.sampler(cell, cell_dir) as sampler:
            marks = Marks(
                t_load_start=ctx.db.now(),
                api_publish_delay_ms=fault.publish_delay_ms if fault is not None else None,
            )
            on_phase(f"load ({cell.fault or cell.model})")
            measure(ctx, cell, fault, run_id, cell_dir, marks)
            if not cell.model.producer:
                on_phase("drain")
                within(lambda: ctx.db.unfinished(run_id) == 0, DRAIN_LIMIT_S, 0.25)
            marks.t_end = ctx.db.now()
            if fault is not None:
                marks.consumers_waited_s = ctx.workers.back_within(cell, RECONNECT_LIMIT_S)
                marks.consumers_limit_s = RECONNECT_LIMIT_S
                queue_state(ctx, cell, marks)
        marks.not_measured = sampler.not_measured()
        return marks
    finally:
        if fault is not None:
            ctx.workers.stop()  # a fault cell's workers hold every transaction
        if api_env:
            ctx.services.restart_api()
        if fault is not None:
            fault.finish(ctx)


def measure(
    ctx: Context, cell: Cell, fault: Injector | None, run_id: str, cell_dir: Path, marks: Marks
) -> None:
    """Locust's warm-up and measured load, the fault struck in it; the window in `marks`."""
    profile = ctx.profile
    marks.t_measure_start = marks.t_load_start + profile.warmup_s
    striker = fault.strike_later(ctx, cell, run_id, marks) if fault is not None else None
    measured = fault.load_s(profile) if fault is not None else profile.duration_s
    run_s, schedule = profile.warmup_s + measured, None
    if cell.model is Model.latency:
        start = time.time() + LOCUST_UP_S
        end = start + profile.warmup_s + measured
        marks.schedule_seed, marks.t_schedule_start = schedule_seed(cell), start
        marks.t_measure_start, marks.t_measure_end = start + profile.warmup_s, end
        run_s = end + 1 - time.time()  # the last arrivals' answers, then stop
        schedule = {"BENCH_SEED": marks.schedule_seed, "BENCH_START": str(start),
                    "BENCH_END": str(end)}  # fmt: skip
    run_locust(
        ctx.procs, cell, run_id, cell_dir, ctx.target.api_url,
        run_s, ctx.target.locust_workers, schedule,
    )  # fmt: skip
    if striker is not None:
        assert fault is not None
        striker.join(fault.strike_limit_s)
        if striker.is_alive():  # its figures would come after the record: the cell is invalid
            marks.fault_notes.append(
                f"fault injection failed: the strike still ran {fault.strike_limit_s:g} s "
                "after the load"
            )
    if cell.model is not Model.latency:
        marks.t_measure_end = ctx.db.now()
    marks.loop_lag = ctx.services.loop_lag(reset=True)

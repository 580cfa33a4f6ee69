"""Faults of the shared parts, the same for both backends: RabbitMQ's connections closed,
its application restarted, its memory alarm; Postgres's connections cut, the server
restarted, a table locked past the jobs' deadline; poison put on the queue."""

import json
import shutil
import subprocess
import time
from pathlib import Path

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.probes import rabbit
from bench.run.wait import until
from bench.spec.faults import BY_NAME as FAULTS
from core.contract import Backend
from core.db import WORKER_ROLE
from core.settings import Settings

BROKER_DOWN_S = FAULTS["broker-restart"].lasts_s
ALARM_S = FAULTS["broker-alarm"].lasts_s
ALARM_WATERMARK = "0.0001"  # of the host's memory: far below what RabbitMQ uses, so it alarms
HANG_S = FAULTS["job-hang"].lasts_s  # past price_order's deadline in a fault cell (3 s)


def broker_drop(ctx: FaultContext) -> None:
    """Close every client connection at RabbitMQ (API publishers and workers)."""
    closed = rabbit.close_all_connections(ctx.settings, "queuebench fault: broker-drop")
    if closed == 0:
        raise NotStruck("RabbitMQ had no client connection to close")
    ctx.note(
        "every client connection closed" + (f" ({closed})" if closed > 0 else " (rabbitmqctl)")
    )


def db_drop(ctx: FaultContext) -> None:
    """Terminate the workers' Postgres backends (found by application_name)."""
    sql = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :role AND datname = current_database()"
    )
    with ctx.run.db.engine.connect() as conn:
        killed = conn.scalar(sql, {"role": WORKER_ROLE})
    if not killed:
        raise NotStruck(f"no Postgres connection with application_name={WORKER_ROLE}")
    ctx.note(f"pg_terminate_backend on {killed} worker connection(s)")


def poison_messages(settings: Settings, backend: Backend) -> int:
    """Publish malformed and unknown-task messages straight onto the backend's queue."""
    with Connection(settings.amqp_url, connect_timeout=5) as conn:
        producer = conn.Producer()
        if backend is Backend.celery:
            queue = settings.celery_queue
            bad = [
                # Celery protocol 2 headers, but a task no worker knows.
                ({"id": "poison-unknown", "task": "no_such_task", "lang": "py"}, "[[], {}, {}]"),
                # A known task name with a body that is not JSON.
                ({"id": "poison-garbage", "task": "price_order", "lang": "py"}, "{not json"),
            ]
            for headers, body in bad:
                producer.publish(
                    body,
                    routing_key=queue,
                    exchange=queue,
                    headers=headers,
                    content_type="application/json",
                    content_encoding="utf-8",
                    serializer=None,
                )
        else:
            queue, exchange = settings.taskiq_queue, settings.taskiq_exchange
            unknown = {
                "task_id": "poison-unknown",
                "task_name": "no_such_task",
                "labels": {},
                "args": [],
                "kwargs": {},
            }
            for body in (json.dumps(unknown), "{not json"):
                producer.publish(body, routing_key=queue, exchange=exchange, serializer=None)
    return 2


def poison(ctx: FaultContext) -> None:
    n = poison_messages(ctx.settings, ctx.backend)
    ctx.note(f"{n} poison messages published (unknown task, malformed body)")


def broker_restart(ctx: FaultContext) -> None:
    """RabbitMQ's application stopped and started again: every connection drops, nothing
    is accepted while it is down, and every client must reconnect by itself."""
    rabbit.restart(ctx.settings, BROKER_DOWN_S)
    ctx.note(f"rabbitmqctl stop_app, {BROKER_DOWN_S:g} s down, start_app")


def broker_alarm(ctx: FaultContext) -> None:
    """RabbitMQ's memory alarm: it blocks every connection that publishes; consumers go on."""
    before = rabbit.memory_watermark()
    rabbit.set_memory_watermark(ALARM_WATERMARK)
    try:
        time.sleep(ALARM_S)  # the alarm's length, as scheduled
    finally:
        rabbit.set_memory_watermark(before)
    ctx.note(f"memory alarm for {ALARM_S:g} s (watermark {ALARM_WATERMARK}, then {before})")


def db_restart(ctx: FaultContext) -> None:
    """PostgreSQL restarted; the fault ends once it accepts connections again."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pg_ctlcluster restart failed: {done.stderr[-300:]}")
    until(ctx.run.db.reachable, 60, "Postgres accepting connections again", 0.2)
    ctx.note(f"pg_ctlcluster {version} main restart")


def job_hang(ctx: FaultContext) -> None:
    """The orders table locked for HANG_S: every price_order job blocks on its INSERT
    until its deadline cuts the attempt; fetch_rates jobs, which never touch it, go on."""
    with ctx.run.db.engine.connect() as conn:
        conn.execute(text("SET lock_timeout = '5s'"))
        conn.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
        ctx.struck()  # the hang starts with the lock
        time.sleep(HANG_S)  # the hang's length, as scheduled
        conn.rollback()
    ctx.note(f"orders locked for {HANG_S:g} s (ACCESS EXCLUSIVE), then released")


def pg_host_problem(settings: Settings) -> str | None:
    host = make_url(settings.database_url).host or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost") or shutil.which("pg_ctlcluster") is None:
        return (
            f"needs pg_ctlcluster on the database's host, and Postgres at {host} is not "
            "here (or pg_ctlcluster is missing): run the harness where Postgres runs"
        )
    return None


def broker_host_problem(settings: Settings) -> str | None:
    if rabbit.local(settings):
        return None
    return (
        "needs rabbitmqctl on the broker's host, and the broker is not here (or rabbitmqctl "
        "is missing); RabbitMQ's management API cannot stop it or set an alarm"
    )

"""The fairness ledger and the environment, recorded with every run."""

import os
import platform
from importlib.metadata import version

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.run.probes import rabbit
from bench.run.probes.jobsdb import DATASET_ORDERS
from bench.spec.profiles import Profile
from core.settings import Settings


def fairness_ledger(settings: Settings, profile: Profile) -> dict[str, object]:
    """Every setting that must match between the backends, as used."""
    return {
        "broker": "the same RabbitMQ for both",
        "queues": f"quorum, x-delivery-limit={settings.delivery_limit}, dead letters to a "
        "fanout exchange (kept queue + recovery queue)",
        "message": "task name + job id only; the payload is read from the jobs row",
        "serializer": "json (both)",
        "result_backend": "none (results live in the jobs table)",
        "acknowledgement": "late: Celery task_acks_late + task_reject_on_worker_lost; "
        "Taskiq --ack-type when_executed",
        "retry_policy": f"in core.lifecycle for both: {settings.retry_max_attempts} attempts, "
        f"backoff {settings.retry_backoff_s}s doubling to {settings.retry_backoff_max_s}s",
        "worker_processes": settings.worker_processes,
        "worker_slots": settings.worker_slots,
        "in_flight_per_process": f"Taskiq --max-async-tasks={settings.worker_slots}; Celery "
        f"prefork 1 (equal processes), Celery threads pool {settings.worker_slots} threads "
        "(equal in-flight capacity)",
        "prefetch_per_process": f"{settings.prefetch} for both unless a cell says otherwise: "
        f"Taskiq qos={settings.prefetch}; Celery prefork multiplier "
        f"{settings.celery_prefetch_multiplier(1)} x 1 task, threads multiplier "
        f"{settings.celery_prefetch_multiplier(settings.worker_slots)} x "
        f"{settings.worker_slots} threads",
        "celery_pool": f"prefork, {settings.worker_processes} child processes; threads: "
        f"{settings.worker_processes} worker processes (one loop and pool each)",
        "celery_worker_flags": "--without-mingle --without-gossip --without-heartbeat, task "
        "events off (CELERY_TASK_EVENTS=false), -A bench_service.celery_worker (the service's "
        "app with the four tasks and the probes from the benchmark's registry, fault hooks, "
        "and a 1 s no-op timer in place of the heartbeat's, which woke an idle "
        "threads worker's loop for its shutdown). The README deploys it with mingle, gossip, "
        "event heartbeats and task events on (Flower needs them): monitoring messages that "
        "Taskiq has no counterpart for, so the benchmark leaves them out of both",
        "amqp_heartbeat": f"{settings.amqp_heartbeat_s} s on every connection (API, both "
        "workers), as deployed",
        "celery_failed_tasks": "rejected, dead-lettered (task_acks_on_failure_or_timeout=False)",
        "db_pool_per_process": f"pool_size={settings.db_pool_size}, "
        f"max_overflow={settings.db_max_overflow}",
        "celery_bridge": "one event loop per worker process in its own thread "
        "(workers_celery/bridge.py) unless the variant names one of "
        "bench_service/celery_variants/",
        "worker_log_level": "WARNING for both",
        "api": "one uvicorn process, shared by both backends: bench_service.api:app, api.main's "
        "app with the probes' routes and the fault hook (off unless a fault cell sets it)",
        "sales_report_dataset": f"{DATASET_ORDERS} orders, the same before each of its cells",
        "warmup_s": profile.warmup_s,
        "measured_s": profile.duration_s,
        "drain_window_s": profile.drain_window_s,
        "repetitions": profile.reps,
        "practical_margin": profile.margin,
        "interleaving": "variants alternate within a repetition, their order reversed every "
        "repetition (A B C, C B A, ...)",
    }


def environment(settings: Settings) -> dict[str, object]:
    pkgs = [
        "celery",
        "kombu",
        "taskiq",
        "taskiq-aio-pika",
        "aio-pika",
        "fastapi",
        "sqlalchemy",
        "asyncpg",
        "locust",
    ]
    env: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        **{p: version(p) for p in pkgs},
        "rabbitmq": rabbit.version(settings),
    }
    try:
        engine = create_engine(make_url(settings.database_url).set(drivername="postgresql+psycopg"))
        with engine.connect() as c:
            env["postgres"] = str(c.scalar(text("SHOW server_version")))
        engine.dispose()
    except Exception as exc:
        env["postgres"] = f"unavailable: {type(exc).__name__}"
    return env

"""Whether this machine has what a fault needs (bench/spec/faults.py Needs): the tools on the
broker's or the database's host, a way to administer RabbitMQ, or a cluster's nodes."""

import shutil

from sqlalchemy.engine import make_url

from bench.run.probes import cluster, rabbit
from bench.spec.faults import Needs
from core.settings import Settings


def problem(needs: Needs, settings: Settings) -> str | None:
    """Why a fault that needs `needs` cannot be injected against these services, or None."""
    match needs:
        case Needs.cluster:
            return cluster.problem(settings)
        case Needs.broker_host:
            return broker_host_problem(settings)
        case Needs.database_host:
            return pg_host_problem(settings)
        case Needs.broker_admin:
            try:
                rabbit.how(settings)
            except (rabbit.Unavailable, OSError) as exc:
                return f"needs rabbitmqctl or RabbitMQ's management API: {exc}"
    return None


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

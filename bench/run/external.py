"""What `--external` can run against a deployment it did not start: the backends whose
workers are up (and which Celery pool they run), the faults it can inject without owning
any of the deployment's processes, and the load models that need no worker restart.
Anything else is refused before the run, with the reason."""

import dataclasses

from celery import Celery

from bench.run.probes import amqp
from bench.spec.faults import EXTERNAL as INJECTABLE
from bench.spec.models import Model
from bench.spec.profiles import Profile
from core.contract import Backend
from core.settings import Settings

POOLS = {  # Celery's pool implementation -> the variant that runs it
    "celery.concurrency.prefork:TaskPool": "celery",
    "celery.concurrency.thread:TaskPool": "celery-threads",
    "celery.concurrency.gevent:TaskPool": "celery-gevent",
}


class Refused(ValueError):
    """The external run cannot measure what was asked; the message says why and what to do."""


def celery_variant(settings: Settings) -> str:
    """The variant the deployment's Celery workers run, from their own stats."""
    app = Celery("bench-inspect", broker=settings.amqp_url)
    try:
        stats = app.control.inspect(timeout=3.0).stats() or {}
    finally:
        app.close()
    pools = {POOLS.get(s.get("pool", {}).get("implementation", ""), "?") for s in stats.values()}
    if not pools:
        raise Refused("Celery workers consume but none answered `inspect stats` within 3 s")
    if len(pools) > 1 or "?" in pools:
        raise Refused(
            f"the Celery workers run different or unknown pools ({', '.join(sorted(pools))}): "
            "the jobs table cannot tell their jobs apart; run one Celery worker profile"
        )
    return pools.pop()


def variants_up(settings: Settings) -> list[str]:
    """One variant per backend whose queue has consumers."""
    found = []
    for backend in Backend:
        _, consumers = amqp.counts(settings.amqp_url, settings.queue_for(backend))
        if consumers:
            found.append(celery_variant(settings) if backend is Backend.celery else "taskiq")
    return found


def faults_possible(profile: Profile, asked: bool) -> tuple[str, ...]:
    """The profile's faults an external run can inject (none that needs the deployment's
    processes); refuses one asked for by name that it cannot (a profile's own are dropped,
    and the run says so). Whether its tools are here is checked for every run (cli)."""
    cannot = [f for f in profile.faults if f not in INJECTABLE]
    if cannot and asked:
        raise Refused(
            f"--external cannot inject {', '.join(cannot)}: they kill or restart processes of "
            f"the deployment; it can inject {', '.join(INJECTABLE)}"
        )
    return tuple(f for f in profile.faults if f in INJECTABLE)


def adapt(
    profile: Profile, settings: Settings, asked_variants: bool, asked_faults: bool
) -> Profile:
    """The profile as an external run can measure it, or Refused."""
    up = variants_up(settings)
    queues = " and ".join(settings.queue_for(b) for b in Backend)
    if not up:
        raise Refused(
            f"no worker consumes {queues}: start the deployment's workers, e.g. "
            "`docker compose --profile celery --profile taskiq up -d`"
        )
    variants = up
    if asked_variants:
        missing = [v for v in profile.variants if v not in up]
        if missing:
            raise Refused(f"asked for {', '.join(missing)} but the workers up run {', '.join(up)}")
        variants = list(profile.variants)
    if len({v.partition("-")[0] for v in variants}) < 2 and profile.models:
        raise Refused(
            f"nothing to compare: only {', '.join(variants)} workers are up; start the other "
            "backend's workers too (e.g. `docker compose --profile celery --profile taskiq up -d`)"
        )
    # A drain starts workers after its backlog is in: a deployment's workers are already up.
    models = tuple(m for m in profile.models if m in (Model.closed, Model.open))
    if profile.models and not models:
        models = (Model.closed,)
    return dataclasses.replace(
        profile,
        variants=tuple(variants),
        models=models,
        faults=faults_possible(profile, asked_faults),
        calibrate=False,
        jobcost=False,
        prefetch_sweep=(),
    )

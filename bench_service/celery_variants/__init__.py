"""Celery loop bridges we measure but do not recommend; copy workers_celery/bridge.py.

Each variant is its own Celery app with the same configuration and task names, run
explicitly: `celery -A bench_service.celery_variants.<name> worker`.
"""

from collections.abc import Callable, Mapping

from celery import Celery

from bench_service.jobs import hooked_jobs
from core.jobs import JobSpec
from core.lifecycle import Outcome
from workers_celery.handback import hand_back_if_database_down

Registry = Mapping[str, JobSpec]
Run = Callable[[str, str, Registry], Outcome]


def register_tasks(app: Celery, run: Run) -> None:
    """The four tasks and the benchmark's two probes (with its fault hooks: these apps
    exist only to be measured), each `run(task, job_id, registry)`, on a benchmark app
    (a variant's, or bench_service/celery_worker.py's)."""
    registry = hooked_jobs()
    for name in registry:

        def task(job_id: str, name: str = name) -> Outcome:
            return hand_back_if_database_down(job_id, lambda: run(name, job_id, registry))

        app.task(name=name)(task)

"""Celery loop bridges we measure but do not recommend; copy workers_celery/bridge.py.

Each variant is its own Celery app with the same configuration and task names, run
explicitly: `celery -A workers_celery.variants.<name> worker`.
"""

from collections.abc import Callable

from celery import Celery

from core import test_hooks
from core.contract import TaskName
from core.jobs import probes
from core.jobs.probes import ProbeName
from core.lifecycle import Outcome
from core.settings import get_settings
from workers_celery.app import hand_back_if_database_down

Run = Callable[[str, str], Outcome]


def register_tasks(app: Celery, run: Run) -> None:
    """The four tasks and the benchmark's two probes (with its fault hooks: these apps
    exist only to be measured), each `run(task, job_id)`, on a variant's app."""
    probes.register()
    test_hooks.install(get_settings())
    for name in (*TaskName, *ProbeName):

        def task(job_id: str, name: str = name) -> Outcome:
            return hand_back_if_database_down(job_id, lambda: run(name, job_id))

        app.task(name=name.value)(task)

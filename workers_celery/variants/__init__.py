"""Celery loop bridges we measure but do not recommend; copy workers_celery/bridge.py.

Each variant is its own Celery app with the same configuration and task names, run
explicitly: `celery -A workers_celery.variants.<name> worker`.
"""

from collections.abc import Callable

from celery import Celery

from core.contract import TaskName
from core.lifecycle import Outcome
from workers_celery.app import hand_back_if_database_down

Run = Callable[[TaskName, str], Outcome]


def register_tasks(app: Celery, run: Run) -> None:
    """The four tasks, each `run(task, job_id)`, on a variant's app."""
    for name in TaskName:

        def task(job_id: str, name: TaskName = name) -> Outcome:
            return hand_back_if_database_down(job_id, lambda: run(name, job_id))

        app.task(name=name.value)(task)

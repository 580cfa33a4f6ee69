"""Celery worker: `python -m workers_celery` (it runs `celery -A workers_celery worker` with
the settings' sizes: __main__.py). Tasks are sync and thin; the async job code runs on one
event loop per worker process (bridge.py).

`app` is imported on first use, so starting the worker through its entry point does not pay
for importing Celery twice (once before the exec)."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers_celery.app import app

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from workers_celery.app import app

        return app
    raise AttributeError(name)

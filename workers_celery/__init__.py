"""Celery worker: `python -m workers_celery` (it runs `celery -A workers_celery worker` with
the settings' sizes: __main__.py). Tasks are sync and thin; the async job code runs on one
event loop per worker process (bridge.py)."""

from workers_celery.app import app

__all__ = ["app"]

"""Celery worker: `celery -A workers_celery worker`. Tasks are sync and thin; the
async job code runs on one event loop per worker process (bridge.py). The bridges we
only measure live in variants/ and are chosen explicitly by their app path."""

from workers_celery.app import app

__all__ = ["app"]

"""Celery worker: `celery -A workers_celery worker`. Tasks are sync and thin;
the async job code runs through the loop bridge chosen by CELERY_BRIDGE."""

from workers_celery.app import app

__all__ = ["app"]

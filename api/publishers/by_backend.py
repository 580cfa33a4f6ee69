"""A publisher for each backend the settings name, importing only that backend's library."""

from collections.abc import Callable

from api.publishers import Publisher
from core.contract import Backend
from core.settings import Settings

PublishersFor = Callable[[Settings], dict[Backend, Publisher]]


def make_publishers(settings: Settings) -> dict[Backend, Publisher]:
    """A publisher for each backend in BACKENDS; its library is imported only then."""
    publishers: dict[Backend, Publisher] = {}
    for backend in settings.backends:
        try:
            if backend is Backend.celery:
                from api.publishers.celery import CeleryPublisher

                publishers[backend] = CeleryPublisher(settings)
            else:
                from api.publishers.taskiq import TaskiqPublisher

                publishers[backend] = TaskiqPublisher(settings)
        except ImportError as exc:
            raise SystemExit(
                f"error: BACKENDS names {backend}, but {exc.name} is not installed: install "
                f"it (uv sync --group {backend}) or leave {backend} out of BACKENDS"
            ) from None
    return publishers

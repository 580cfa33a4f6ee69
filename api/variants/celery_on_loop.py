"""The mistake, measured: Celery's publish (`send_task`, like `delay()`) called straight
from the async endpoint, so kombu's blocking socket I/O and its wait for RabbitMQ's
confirm stall the event loop (see the loop-lag figures). api.main publishes from a
worker thread instead. Run: `uvicorn api.variants.celery_on_loop:app`. Never the default.
"""

from api.main import create_app
from api.publishers import CeleryPublisher, Publisher, TaskiqPublisher
from core.contract import Backend
from core.settings import Settings


def publishers_on_loop(settings: Settings) -> dict[Backend, Publisher]:
    return {
        Backend.celery: CeleryPublisher(settings, in_thread=False),
        Backend.taskiq: TaskiqPublisher(settings),
    }


app = create_app(publishers_for=publishers_on_loop)

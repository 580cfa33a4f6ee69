"""The mistake, measured: Celery's publish (`send_task`, like `delay()`) called straight
from the async endpoint, so kombu's blocking socket I/O and its wait for RabbitMQ's
confirm stall the event loop (see the loop-lag figures).
Run: `uvicorn api.variants.celery_on_loop:app`. Never the default.
"""

from api.main import create_app
from api.variants.send_task import send_task_publishers

app = create_app(publishers_for=send_task_publishers(in_thread=False))

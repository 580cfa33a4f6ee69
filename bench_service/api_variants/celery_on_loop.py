"""The mistake, measured: Celery's publish (`send_task`, like `delay()`) called straight
from the async endpoint, so kombu's blocking socket I/O and its wait for RabbitMQ's
confirm stall the event loop (see the loop-lag figures).
Run: `uvicorn bench_service.api_variants.celery_on_loop:app`. Never the default.
"""

from bench_service.api import create_benchmark_app
from bench_service.api_variants.send_task import send_task_publishers

app = create_benchmark_app(publishers_for=send_task_publishers(in_thread=False))

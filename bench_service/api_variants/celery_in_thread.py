"""Celery's `send_task` run in worker threads (`anyio.to_thread`), off the event loop:
correct, and the simplest fix for the on-loop mistake, but it costs the API more CPU per
job than the API's aio-pika publish of the same message (see the enqueue table).
Run: `uvicorn bench_service.api_variants.celery_in_thread:app`.
"""

from bench_service.api import create_benchmark_app
from bench_service.api_variants.send_task import send_task_publishers

app = create_benchmark_app(publishers_for=send_task_publishers(in_thread=True))

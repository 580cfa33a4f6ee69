"""Celery's `send_task` run in worker threads (`anyio.to_thread`), off the event loop:
correct, and the simplest fix for the on-loop mistake, but it costs the API more CPU per
job than api.main's aio-pika publish of the same message (see the enqueue table).
Run: `uvicorn api.variants.celery_in_thread:app`.
"""

from api.main import create_app
from api.variants.send_task import send_task_publishers

app = create_app(publishers_for=send_task_publishers(in_thread=True))

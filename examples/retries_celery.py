"""Celery's own retries, for a task that keeps no jobs row: `autoretry_for` with an
exponential backoff, on this repo's Celery configuration (workers_celery/app.py: quorum
queue, topic exchange, late acks). Each retry is a new message published by the worker
with a countdown, which RabbitMQ holds in Celery's delay levels (native delayed delivery);
the original is acked. The count travels in the message (`retries`), so a delivery lost to
a crashed worker is redelivered with the same count: it is not an attempt. When the count
runs out the task raises, and this configuration (`task_acks_on_failure_or_timeout=False`)
rejects the message: it is dead-lettered to `<queue>.dead_letter`.

Run: `python -m workers_celery -A examples.retries_celery`; send: `call.delay(url)`.
The service's jobs keep their one policy in the row instead (core/lifecycle.py; README,
"Retries").
"""

import httpx

from workers_celery.app import make_worker_app

app = make_worker_app("examples.retries_celery", "examples.retries_celery")


@app.task(
    name="examples.call",
    autoretry_for=(httpx.HTTPError,),
    retry_backoff=1,  # 1 s, then 2 s, 4 s ... (factor x 2^retries)
    retry_backoff_max=8,
    retry_jitter=False,  # the default (True) draws each wait from 0 to the backoff
    max_retries=2,  # 3 attempts in all
)
def call(url: str) -> None:
    httpx.post(url, timeout=5).raise_for_status()

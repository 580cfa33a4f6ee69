"""Taskiq's own retries, for a task that keeps no jobs row: `SmartRetryMiddleware` with an
exponential backoff, on this repo's broker arguments (core/taskiq_broker.py: quorum queue,
delay queue). Each retry is a new message published by the worker with the `delay` label,
held in the delay queue; the original is acked. The count travels in the message's labels
(`_retries`), so a delivery lost to a crashed worker is redelivered with the same count: it
is not an attempt. When the count runs out the middleware logs a warning and the message is
acked: dropped, no dead letter.

Run: `taskiq worker examples.retries_taskiq:broker --ack-type when_executed`; send:
`await call.kiq(url)`. The service's jobs keep their one policy in the row instead
(core/lifecycle.py; README, "Retries"). Not with workers_taskiq's HandBackBroker: it rejects
a task that raised, so each retried original would be dead-lettered as well.
"""

import httpx
from taskiq.middlewares import SmartRetryMiddleware
from taskiq_aio_pika import AioPikaBroker

from core.settings import get_settings
from core.taskiq_broker import taskiq_broker_kwargs

broker = AioPikaBroker(**taskiq_broker_kwargs(get_settings())).with_middlewares(
    SmartRetryMiddleware(
        default_retry_count=3,  # 3 attempts in all
        default_delay=1,
        use_delay_exponent=True,  # the n-th wait is the last x n: 1 s, 2 s, 6 s ...
        max_delay_exponent=8,  # no wait longer than 8 s
    )
)


@broker.task(task_name="examples.call", retry_on_error=True)
async def call(url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        (await client.post(url)).raise_for_status()

"""Per-task rate limits (RATE_LIMITS) for Taskiq, as Celery's `rate_limit` holds them: per
worker, not across a cluster. Taskiq has none built in; taskiq-rate-limiter is a beta
(0.1.0b2), so this is a middleware of ours.

Each of the worker's WORKER_PROCESSES processes lets a task start at most every
processes / rate seconds, so the worker keeps to the rate while its processes share the
backlog evenly (a small WORKER_PREFETCH helps). A task waiting its turn holds its slot and
its message, as a Celery task held by its worker's token bucket holds its message.
"""

import asyncio
from collections.abc import Mapping

from taskiq import TaskiqMessage, TaskiqMiddleware


class RateLimitMiddleware(TaskiqMiddleware):
    def __init__(self, rates: Mapping[str, float], processes: int) -> None:
        super().__init__()
        self.spacing = {task: processes / rate for task, rate in rates.items()}
        self.next_start: dict[str, float] = {}

    async def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        spacing = self.spacing.get(message.task_name)
        if spacing is None:
            return message
        now = asyncio.get_running_loop().time()
        start = max(now, self.next_start.get(message.task_name, now))
        self.next_start[message.task_name] = start + spacing
        if start > now:
            await asyncio.sleep(start - now)
        return message

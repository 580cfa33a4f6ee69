"""Requeue a job whose outcome could not be recorded (database down through the
retry budget): Taskiq acks after execution either way, so without this the message
would be gone and the job row left unfinished."""

import logging
from typing import Any

from taskiq import TaskiqMessage, TaskiqMiddleware, TaskiqResult

from core.lifecycle import DatabaseUnavailable

log = logging.getLogger(__name__)


class RequeueWhenDatabaseDown(TaskiqMiddleware):
    async def on_error(
        self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException
    ) -> None:
        if not isinstance(exception, DatabaseUnavailable):
            return
        requeues = int(message.labels.get("requeues", 0)) + 1
        message.labels["requeues"] = requeues
        log.warning("job %s: database unavailable, requeue #%d", message.task_id, requeues)
        # Published before the original is acked: at worst a duplicate, never a loss.
        await self.broker.kick(self.broker.formatter.dumps(message))

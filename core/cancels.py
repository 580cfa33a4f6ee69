"""Stop a running job when a client cancels it, through its deadline.

The API sets the row's `cancel_requested_at` and notifies CANCEL_CHANNEL with the job id
(api/cancel.py). Each worker process LISTENs on one Postgres connection of its own; a
notification for a job this process runs moves that attempt's deadline to now, so the job's
awaits are cut exactly as an overrun cuts them, and the lifecycle marks the row cancelled.
A delivery that starts after the cancel reads it from the row (core/lifecycle.py).
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from uuid import UUID

from core.contract import CANCEL_CHANNEL
from core.notify import listen_forever
from core.settings import Settings


class RunningJobs:
    """This process's running attempts, by job id, and the ones cancelled while running."""

    def __init__(self) -> None:
        self._cuts: dict[UUID, asyncio.Timeout] = {}
        self._cancelled: set[UUID] = set()

    @contextmanager
    def watch(self, job_id: UUID, cut: asyncio.Timeout) -> Iterator[None]:
        self._cuts[job_id] = cut
        self._cancelled.discard(job_id)  # left by a cancel that came as an attempt ended
        try:
            yield
        finally:
            if self._cuts.get(job_id) is cut:  # not another delivery's of the same job
                del self._cuts[job_id]

    def cancel(self, job_id: UUID) -> None:
        """Cut the job's attempt now, if this process runs it (on the loop it runs on)."""
        cut = self._cuts.get(job_id)
        if cut is None:
            return
        try:
            cut.reschedule(asyncio.get_running_loop().time())
        except RuntimeError:  # the attempt ended as the notification came
            return
        self._cancelled.add(job_id)

    def was_cancelled(self, job_id: UUID) -> bool:
        """True once, for an attempt cut by a cancel (not by its deadline)."""
        if job_id in self._cancelled:
            self._cancelled.discard(job_id)
            return True
        return False


RUNNING = RunningJobs()  # one per process: each worker process runs one event loop


async def listen_for_cancels(settings: Settings, running: RunningJobs = RUNNING) -> None:
    """Run until cancelled: stop each running job of this process a client cancels."""

    def cancelled(payload: str) -> None:
        with suppress(ValueError):
            running.cancel(UUID(payload))

    role = "queuebench-worker-cancels"
    await listen_forever(settings, CANCEL_CHANNEL, cancelled, role)

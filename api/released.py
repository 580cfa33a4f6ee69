"""Publish each chain step the moment the step before it releases it (core/chains.py).

Postgres notifies RELEASED_CHANNEL with the step's id (migration 0006); every API process
listens, and the first to lock the row publishes it (the recovery's publish, with the same
row lock its outbox sweep uses). A notification missed while the listener was down leaves
the row `publishing`: the sweep publishes it after OUTBOX_GRACE_S."""

import asyncio
import logging
from contextlib import suppress
from uuid import UUID

from api.recovery import Recovery
from core.contract import RELEASED_CHANNEL
from core.notify import listen_forever
from core.settings import Settings

log = logging.getLogger(__name__)


class ReleasedSteps:
    def __init__(self, settings: Settings, recovery: Recovery) -> None:
        self.settings, self.recovery = settings, recovery
        self._ids: asyncio.Queue[UUID] = asyncio.Queue()

    def _released(self, payload: str) -> None:
        with suppress(ValueError):
            self._ids.put_nowait(UUID(payload))

    async def run(self) -> None:
        """Until cancelled: listen, and publish what was released, a batch at a time."""
        role = "queuebench-api-released"
        listener = asyncio.create_task(
            listen_forever(self.settings, RELEASED_CHANNEL, self._released, role)
        )
        try:
            while True:
                ids = [await self._ids.get()]
                while not self._ids.empty():
                    ids.append(self._ids.get_nowait())
                try:
                    await self.recovery.publish_released(ids)
                except Exception as exc:  # the outbox sweep publishes them later
                    log.warning("released chain steps not published yet: %s", exc)
        finally:
            listener.cancel()
            with suppress(asyncio.CancelledError):
                await listener

"""Wake requests waiting for a job to finish, without polling.

One Postgres connection per API process LISTENs on the channel the jobs table's
trigger notifies when a job ends done or failed (migration 0003); each notification
resolves the futures of the requests waiting for that job."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.engine import make_url

from core.contract import FINISHED_CHANNEL

log = logging.getLogger(__name__)


class JobWaiters:
    def __init__(self, database_url: str, timeout_s: float) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.timeout = timeout_s
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._waiting: dict[UUID, set[asyncio.Future[None]]] = defaultdict(set)

    async def _listening(self) -> None:
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                conn = await asyncpg.connect(
                    self.dsn,
                    timeout=self.timeout,
                    server_settings={"application_name": "queuebench-api"},
                )
                await conn.add_listener(FINISHED_CHANNEL, self._notified)
                conn.add_termination_listener(self._lost)
                self._conn = conn

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            job_id = UUID(payload)
        except ValueError:
            return
        for future in self._waiting.pop(job_id, ()):
            if not future.done():
                future.set_result(None)

    def _lost(self, conn: Any) -> None:
        log.warning("job waiters: the LISTEN connection was lost; waiters time out")
        self._conn = None

    @asynccontextmanager
    async def waiting(self, job_id: UUID) -> AsyncIterator[asyncio.Future[None]]:
        """A future resolved when the job finishes. Enter it, then re-read the row:
        a finish between the read and the LISTEN is not missed."""
        await self._listening()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[job_id].add(future)
        try:
            yield future
        finally:
            waiters = self._waiting.get(job_id)
            if waiters is not None:
                waiters.discard(future)
                if not waiters:
                    del self._waiting[job_id]

    async def close(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                await self._conn.close(timeout=self.timeout)

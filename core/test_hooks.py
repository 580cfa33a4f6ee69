"""Fault hooks for the tests and the benchmark, never part of a job's payload, never on the
path users copy: the benchmark's worker and API modules install them (workers_*/benchmark.py,
api/benchmark.py), and each is off (0) unless its setting says otherwise.
"""

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lifecycle
from core.settings import Settings


async def hold_transaction(session: AsyncSession, ms: int) -> None:
    """TEST_HOLD_MS: keep a job's transaction open after its work, before `done`, so a
    fault (SIGKILL, dropped connection) finds jobs mid-transaction."""
    await session.execute(select(func.pg_sleep(ms / 1000)))


def install(settings: Settings) -> None:
    """The worker-side hooks the settings ask for, into the lifecycle."""
    if settings.test_hold_ms:
        lifecycle.BEFORE_DONE.append(partial(hold_transaction, ms=settings.test_hold_ms))


def publish_pause(settings: Settings) -> Callable[[], Awaitable[None]] | None:
    """TEST_PUBLISH_DELAY_MS: widen the API's commit -> publish window, so killing the
    API leaves rows `publishing` for the recovery to find. None when unset."""
    if not settings.test_publish_delay_ms:
        return None
    return partial(asyncio.sleep, settings.test_publish_delay_ms / 1000)

"""Fault hooks for the tests and the benchmark, never part of a job's payload.

Each is off (0) unless its setting says otherwise; no real deployment sets them.
"""

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings


async def hold_transaction(session: AsyncSession, settings: Settings) -> None:
    """TEST_HOLD_MS: keep a job's transaction open after its work, before `done`, so a
    fault (SIGKILL, dropped connection) finds jobs mid-transaction."""
    if settings.test_hold_ms:
        await session.execute(select(func.pg_sleep(settings.test_hold_ms / 1000)))


async def pause_before_publish(settings: Settings) -> None:
    """TEST_PUBLISH_DELAY_MS: widen the API's commit -> publish window, so killing the
    API leaves rows `publishing` for the recovery to find."""
    if settings.test_publish_delay_ms:
        await asyncio.sleep(settings.test_publish_delay_ms / 1000)

"""What the API process holds while it runs, built by its lifespan and typed: the
settings, the database, the publishers, the enqueuer, the long-poll waiters, the recovery
(and its publisher of released chain steps) and the loop-lag probe. Routes reach it
through api/deps.py."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.enqueue import Enqueuer
from api.loop_lag import LoopLag
from api.publishers import Publisher
from api.publishers.by_backend import PublishersFor, make_publishers
from api.recovery import Recovery
from api.released import ReleasedSteps
from api.waiters import JobWaiters
from core.contract import Backend
from core.db import API_ROLE, make_engine, make_sessionmaker
from core.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    publishers: dict[Backend, Publisher]
    enqueuer: Enqueuer
    waiters: JobWaiters
    recovery: Recovery
    loop_lag: LoopLag | None


async def start_publishers(publishers: dict[Backend, Publisher]) -> None:
    for publisher in publishers.values():
        try:
            await publisher.start()
        except Exception as exc:  # serve anyway; /health says what is down
            log.warning("RabbitMQ not reachable at startup: %s", exc)


@asynccontextmanager
async def running_services(
    settings: Settings,
    publishers_for: PublishersFor = make_publishers,
) -> AsyncIterator[Services]:
    """Start everything, yield it, then stop it all in reverse order."""
    engine = make_engine(settings, role=API_ROLE)
    sessionmaker = make_sessionmaker(engine)
    publishers = publishers_for(settings)
    await start_publishers(publishers)
    enqueuer = Enqueuer(engine, publishers, settings)
    enqueuer.start()
    waiters = JobWaiters(settings.database_url, settings.publish_timeout_s)
    recovery = Recovery(settings, sessionmaker, publishers)
    background = [
        asyncio.create_task(recovery.run_forever(), name="recovery"),
        asyncio.create_task(ReleasedSteps(settings, recovery).run(), name="released-steps"),
    ]
    loop_lag = LoopLag(settings.loop_lag_probe_ms) if settings.loop_lag_probe_ms else None
    if loop_lag is not None:
        background.append(asyncio.create_task(loop_lag.run(), name="loop-lag"))
    try:
        yield Services(settings, sessionmaker, publishers, enqueuer, waiters, recovery, loop_lag)
    finally:
        for task in background:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await recovery.close()
        await waiters.close()
        await enqueuer.close()
        for publisher in publishers.values():
            await publisher.close()
        await engine.dispose()

"""Engine and session factories. Nothing connects at import time."""

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from core.settings import Settings

WORKER_ROLE = "queuebench-worker"  # application_name of every worker connection
API_ROLE = "queuebench-api"


def make_engine(
    settings: Settings, *, null_pool: bool = False, role: str = "queuebench"
) -> AsyncEngine:
    """`role` becomes Postgres's application_name, so operators (and the fault
    harness) can tell the API's connections from the workers'. Workers' pools skip the
    pre-ping (a round trip per checkout): the lifecycle retries a dropped connection,
    and the first disconnect error recycles the whole pool."""
    connect_args = {"server_settings": {"application_name": role}}
    if null_pool:
        return create_async_engine(
            settings.database_url, poolclass=NullPool, connect_args=connect_args
        )
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=role != WORKER_ROLE,  # the API's: a dropped backend is not handed out
        connect_args=connect_args,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

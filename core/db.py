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
    server: dict[str, str] = {"application_name": role}
    connect_args: dict[str, object] = {"server_settings": server}
    if role == WORKER_ROLE:
        # A statement of a job cannot outlive the longest deadline (Postgres cancels it), nor
        # can any wait for the server's answer (asyncpg gives up): a database that stops
        # answering without closing its sockets frees the worker's slot all the same.
        server["statement_timeout"] = str(round(settings.max_deadline_s * 1000))
        connect_args["command_timeout"] = settings.max_deadline_s + 5
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

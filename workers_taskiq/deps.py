"""Task dependencies: a fresh session per task, the process's HTTP client and settings."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import TaskiqDepends, TaskiqState

from core.settings import Settings


async def new_session(
    state: Annotated[TaskiqState, TaskiqDepends()],
) -> AsyncIterator[AsyncSession]:
    async with state.sessionmaker() as session:
        yield session


def worker_http(state: Annotated[TaskiqState, TaskiqDepends()]) -> httpx.AsyncClient:
    client: httpx.AsyncClient = state.http
    return client


def worker_settings(state: Annotated[TaskiqState, TaskiqDepends()]) -> Settings:
    settings: Settings = state.settings
    return settings


SessionDep = Annotated[AsyncSession, TaskiqDepends(new_session)]
HttpDep = Annotated[httpx.AsyncClient, TaskiqDepends(worker_http)]
SettingsDep = Annotated[Settings, TaskiqDepends(worker_settings)]

"""Annotated dependencies: one session per request, the app-wide enqueuer, waiters and settings.

All async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
request for nothing."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.enqueue import Enqueuer
from api.publishers import Publisher
from api.waiters import JobWaiters
from core.contract import Backend
from core.settings import Settings


async def new_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def app_publishers(request: Request) -> dict[Backend, Publisher]:
    publishers: dict[Backend, Publisher] = request.app.state.publishers
    return publishers


async def app_enqueuer(request: Request) -> Enqueuer:
    enqueuer: Enqueuer = request.app.state.enqueuer
    return enqueuer


async def app_waiters(request: Request) -> JobWaiters:
    waiters: JobWaiters = request.app.state.waiters
    return waiters


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(new_session)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
PublishersDep = Annotated[dict[Backend, Publisher], Depends(app_publishers)]
EnqueuerDep = Annotated[Enqueuer, Depends(app_enqueuer)]
WaitersDep = Annotated[JobWaiters, Depends(app_waiters)]

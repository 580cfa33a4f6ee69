"""Annotated dependencies: one session per request, and the parts of the process's
services (api/services.py) a route needs: the enqueuer, waiters, publishers, settings.

All async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
request for nothing. Each reads the services itself (no shared sub-dependency): one
resolution per parameter on the enqueue path."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.enqueue import Enqueuer
from api.loop_lag import LoopLag
from api.publishers import Publisher
from api.services import Services
from api.waiters import JobWaiters
from core.contract import Backend
from core.settings import Settings


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def new_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with services_of(request).sessionmaker() as session:
        yield session


async def app_publishers(request: Request) -> dict[Backend, Publisher]:
    return services_of(request).publishers


async def app_enqueuer(request: Request) -> Enqueuer:
    return services_of(request).enqueuer


async def app_waiters(request: Request) -> JobWaiters:
    return services_of(request).waiters


async def app_settings(request: Request) -> Settings:
    return services_of(request).settings


async def app_loop_lag(request: Request) -> LoopLag | None:
    return services_of(request).loop_lag


SessionDep = Annotated[AsyncSession, Depends(new_session)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
PublishersDep = Annotated[dict[Backend, Publisher], Depends(app_publishers)]
EnqueuerDep = Annotated[Enqueuer, Depends(app_enqueuer)]
WaitersDep = Annotated[JobWaiters, Depends(app_waiters)]
LoopLagDep = Annotated[LoopLag | None, Depends(app_loop_lag)]

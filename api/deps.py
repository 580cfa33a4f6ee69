"""Annotated dependencies: one session per request, and the process's services
(api/services.py: the enqueuer, waiters, publishers, settings).

All async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
request for nothing."""

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


async def app_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(app_services)]


async def new_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.sessionmaker() as session:
        yield session


async def app_publishers(services: ServicesDep) -> dict[Backend, Publisher]:
    return services.publishers


async def app_enqueuer(services: ServicesDep) -> Enqueuer:
    return services.enqueuer


async def app_waiters(services: ServicesDep) -> JobWaiters:
    return services.waiters


async def app_settings(services: ServicesDep) -> Settings:
    return services.settings


async def app_loop_lag(services: ServicesDep) -> LoopLag | None:
    return services.loop_lag


SessionDep = Annotated[AsyncSession, Depends(new_session)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
PublishersDep = Annotated[dict[Backend, Publisher], Depends(app_publishers)]
EnqueuerDep = Annotated[Enqueuer, Depends(app_enqueuer)]
WaitersDep = Annotated[JobWaiters, Depends(app_waiters)]
LoopLagDep = Annotated[LoopLag | None, Depends(app_loop_lag)]

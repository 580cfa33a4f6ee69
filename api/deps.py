"""Annotated dependencies: one session per request, the app-wide publishers."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.publishers import Publisher
from core.contract import Backend
from core.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


def get_publishers(request: Request) -> dict[Backend, Publisher]:
    publishers: dict[Backend, Publisher] = request.app.state.publishers
    return publishers


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PublishersDep = Annotated[dict[Backend, Publisher], Depends(get_publishers)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

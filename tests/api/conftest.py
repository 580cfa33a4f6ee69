from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.main import create_app
from core.models import Job
from core.settings import Settings


async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


@pytest.fixture
async def client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for c in serve(settings):
        yield c


@pytest.fixture
async def client_broker_down(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    down = settings.model_copy(
        update={"amqp_url": "amqp://guest:guest@127.0.0.1:1/", "publish_timeout_s": 2.0}
    )
    async for c in serve(down):
        yield c


async def job_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Job)) or 0)

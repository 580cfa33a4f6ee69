"""The real API app, served in-process over ASGI with its lifespan."""

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from api.main import create_app
from core.settings import Settings


async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client

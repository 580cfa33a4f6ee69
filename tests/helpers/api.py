"""The real API app, served in-process over ASGI with its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import httpx
from fastapi import FastAPI

from api.main import create_app
from core.settings import Settings


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app (its state holds the recovery) and a client talking to it."""
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield app, client


async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings) as (_, client):
        yield client


async def post_job(client: httpx.AsyncClient, backend: str, task: str, **body: object) -> UUID:
    """POST /jobs and assert it was accepted (202); the job's id."""
    response = await client.post("/jobs", json={"backend": backend, "task": task, **body})
    assert response.status_code == 202, response.text
    return UUID(response.json()["id"])

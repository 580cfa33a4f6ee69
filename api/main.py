"""The FastAPI app. Run: `uvicorn api.main:app` (or `make api`)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.auth import BearerToken
from api.errors import add_error_handlers
from api.limits import BodySizeLimit, InflightLimit
from api.publishers.by_backend import PublishersFor, make_publishers
from api.routes import health, jobs, metrics
from api.services import running_services
from core.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    publishers_for: PublishersFor = make_publishers,
) -> FastAPI:
    """The app, built from `settings`; how it publishes is a parameter, so a test or the
    benchmark can pass its own publishers."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_services(settings, publishers_for) as services:
            app.state.services = services
            yield

    app = FastAPI(title="queuebench", lifespan=lifespan)
    app.include_router(jobs.router)
    app.include_router(health.router)
    if settings.loop_lag_probe_ms:  # GET /metrics/loop-lag, only while the probe runs
        app.include_router(metrics.router)
    # The last added is the outermost: the in-flight cap answers 503 before a token is
    # checked, a missing token 401 before a body is read.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.api_token:
        app.add_middleware(BearerToken, token=settings.api_token)
    app.add_middleware(InflightLimit, max_inflight=settings.max_inflight_requests)
    add_error_handlers(app)
    return app


app = create_app()

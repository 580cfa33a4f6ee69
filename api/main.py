"""The FastAPI app. Run: `uvicorn api.main:app` (or `make api`)."""

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from api.auth import BearerToken
from api.enqueue import Enqueuer, Hook
from api.limits import BodySizeLimit, InflightLimit
from api.loop_lag import LoopLag
from api.publishers import PublishersFor, make_publishers
from api.recovery import Recovery
from api.routes import health, jobs, metrics
from api.waiters import JobWaiters
from core.db import API_ROLE, make_engine, make_sessionmaker
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)


def is_disconnect(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))


ECHO_DEPTH = 32  # deeper parts of a rejected input are not echoed back


def printable(value: Any, depth: int = 0) -> Any:
    """A validation error made safe to render as strict JSON. FastAPI's default 422
    echoes the offending input and crashes (500) on what Python's `json` parser lets
    through: NaN/Infinity literals and 1e999 (non-finite floats) and lone surrogates
    such as "\\ud800" (not encodable as UTF-8)."""
    if depth > ECHO_DEPTH:
        return "..."
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {printable(k, depth + 1): printable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v, depth + 1) for v in value]
    if isinstance(value, BaseException):
        return printable(str(value), depth + 1)
    return printable(jsonable_encoder(value), depth + 1)


def create_app(
    settings: Settings | None = None,
    publishers_for: PublishersFor = make_publishers,
    before_publish: Hook | None = None,
) -> FastAPI:
    """The app; `before_publish` is the benchmark's fault hook (api/benchmark.py)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings, role=API_ROLE)
        app.state.settings = settings
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.publishers = publishers = publishers_for(settings)
        for publisher in publishers.values():
            try:
                await publisher.start()
            except Exception as exc:  # serve anyway; /health says what is down
                log.warning("RabbitMQ not reachable at startup: %s", exc)
        app.state.enqueuer = enqueuer = Enqueuer(engine, publishers, settings, before_publish)
        enqueuer.start()
        app.state.waiters = waiters = JobWaiters(settings.database_url, settings.publish_timeout_s)
        app.state.recovery = recovery = Recovery(settings, app.state.sessionmaker, publishers)
        background = [asyncio.create_task(recovery.run_forever(), name="recovery")]
        app.state.loop_lag = None
        if settings.loop_lag_probe_ms:
            app.state.loop_lag = probe = LoopLag(settings.loop_lag_probe_ms)
            background.append(asyncio.create_task(probe.run(), name="loop-lag"))
        yield
        for task in background:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await recovery.close()
        await waiters.close()
        await enqueuer.close()
        for publisher in publishers.values():
            await publisher.close()
        await engine.dispose()

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

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": printable(exc.errors())},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(PoolTimeoutError)
    async def database_busy(request: Request, exc: Exception) -> JSONResponse:
        log.error("no database connection free on %s: %s", request.url.path, exc)
        return JSONResponse(
            {"detail": "database busy (connection pool exhausted); nothing was accepted"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and not is_disconnect(exc):
            raise exc  # a real bug: let it be a 500 and be seen
        log.error("database unreachable on %s: %s", request.url.path, exc)
        return JSONResponse(
            {"detail": "database unavailable; nothing was accepted"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    return app


app = create_app()

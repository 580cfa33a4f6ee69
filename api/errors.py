"""The errors raised below the routes, mapped to HTTP in one place: the enqueuer's domain
errors, a request that fails validation, and a database that is down or busy. (A route's own
404 and the middlewares' 401/413/503 are answered where they arise.)"""

import logging
import math
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from api.enqueue import (
    BackendNotServed,
    BrokerBlocked,
    DatabaseRefused,
    EnqueueError,
    NotQueued,
)

log = logging.getLogger(__name__)
BLOCKED_RETRY_AFTER_S = 5  # while RabbitMQ blocks publishers, clients come back after this
ECHO_DEPTH = 32  # deeper parts of a rejected input are not echoed back
# The status and headers of each enqueue error.
ENQUEUE: dict[type[EnqueueError], tuple[int, dict[str, str]]] = {
    EnqueueError: (status.HTTP_503_SERVICE_UNAVAILABLE, {}),
    BackendNotServed: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    BrokerBlocked: (
        status.HTTP_503_SERVICE_UNAVAILABLE,
        {"Retry-After": str(BLOCKED_RETRY_AFTER_S)},
    ),
    DatabaseRefused: (status.HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": "1"}),
    NotQueued: (status.HTTP_503_SERVICE_UNAVAILABLE, {}),
}


def is_disconnect(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))


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


async def not_enqueued(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EnqueueError)
    code, headers = next(ENQUEUE[c] for c in type(exc).__mro__ if c in ENQUEUE)
    return JSONResponse({"detail": exc.detail}, status_code=code, headers=headers)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": printable(exc.errors())}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def database_busy(request: Request, exc: Exception) -> JSONResponse:
    log.error("no database connection free on %s: %s", request.url.path, exc)
    return JSONResponse(
        {"detail": "database busy (connection pool exhausted); nothing was accepted"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )


async def database_down(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError) and not is_disconnect(exc):
        raise exc  # a real bug: let it be a 500 and be seen
    log.error("database unreachable on %s: %s", request.url.path, exc)
    return JSONResponse(
        {"detail": "database unavailable; nothing was accepted"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(EnqueueError, not_enqueued)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(PoolTimeoutError, database_busy)
    app.add_exception_handler(DBAPIError, database_down)
    app.add_exception_handler(OSError, database_down)

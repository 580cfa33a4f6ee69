"""Which failures are worth a retry. Both workers follow this one policy."""

import httpx
from sqlalchemy.exc import DBAPIError, OperationalError

# SQLSTATEs of a server going away or not back yet: class 08 (connection exception) and
# 57P01-57P03 (admin shutdown, crash shutdown, "the database system is starting up").
SERVER_AWAY = ("57P01", "57P02", "57P03")


class TransientError(Exception):
    """A failure that may pass: retried with backoff, up to the attempt limit."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    if isinstance(exc, (httpx.TimeoutException, httpx.TransportError)):
        return True
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or ""
        return bool(exc.connection_invalidated) or code.startswith("08") or code in SERVER_AWAY
    return isinstance(exc, (ConnectionError, TimeoutError))

"""Which failures are worth a retry. Both workers follow this one policy."""

import httpx
from sqlalchemy.exc import DBAPIError, OperationalError


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
        return bool(exc.connection_invalidated)
    return isinstance(exc, (ConnectionError, TimeoutError))

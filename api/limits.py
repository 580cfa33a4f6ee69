"""Two pure-ASGI guards in front of the app: a request body size limit (413) and a
cap on requests in flight in this process (503 at once, instead of an unbounded queue).

Both answer before the app sees the request, so a rejected request never reaches a
route: nothing is written to Postgres or published to RabbitMQ.
"""

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def reply(
    send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A complete JSON `{"detail": ...}` response, shaped like FastAPI's own errors."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Reject request bodies over `max_bytes` with 413.

    A declared Content-Length is checked up front, before any of the body is read,
    and a body within it goes straight to the app (the server delivers no more than
    the declared length). A body without one (chunked) is counted as it arrives and
    reading stops at the first chunk past the limit; it is read in full here, before
    the app is called, and replayed to it as one message, so the app is never started
    on a body that turns out to be too large.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self) -> str:
        return f"request body larger than {self.max_bytes} bytes (MAX_BODY_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = [v for k, v in scope["headers"] if k.lower() == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
            except ValueError:
                length = -1
            if length < 0 or len(set(declared)) > 1:
                await reply(send, 400, "invalid Content-Length header")
                return
            if length > self.max_bytes:
                await reply(send, 413, self.too_large())
                return
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client is gone: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await reply(send, 413, self.too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: http.disconnect, as from the server

        await self.app(scope, replay, send)


class InflightLimit:
    """At most `max_inflight` HTTP requests in this process at once; past that, 503
    with `Retry-After: 1` at once (before the body is read), never a queue.

    /health is counted like any other request, on purpose: it is not free (a
    pooled DB session and a fresh AMQP connection per call), so exempting it would
    let probes add load without bound exactly when the process is saturated, and
    "503, busy" is the truthful readiness answer then. A liveness probe that must
    not fail under load should check the TCP port, not /health.

    One event loop per process, and no await between the check and the increment,
    so a plain counter is exact.
    """

    def __init__(self, app: ASGIApp, max_inflight: int) -> None:
        self.app = app
        self.max_inflight = max_inflight
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.inflight >= self.max_inflight:
            await reply(
                send,
                503,
                f"server busy: {self.max_inflight} requests in flight "
                "(MAX_INFLIGHT_REQUESTS); nothing was accepted, retry shortly",
                headers=[(b"retry-after", b"1")],
            )
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1

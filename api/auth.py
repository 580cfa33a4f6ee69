"""Bearer-token authentication in front of the app, when API_TOKEN is set: every request
but GET /health needs `Authorization: Bearer <API_TOKEN>`; a missing or wrong token gets
401 before the app sees the request, so nothing is read, written or published."""

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from api.limits import reply

OPEN_PATHS = frozenset({"/health"})  # probes of liveness, which hold no data


class BearerToken:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"")
        if not hmac.compare_digest(given, self.expected):
            challenge = [(b"www-authenticate", b'Bearer realm="queuebench"')]
            await reply(send, 401, "missing or wrong bearer token (API_TOKEN)", challenge)
            return
        await self.app(scope, receive, send)

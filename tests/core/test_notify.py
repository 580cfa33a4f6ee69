"""core/notify.py on a real Postgres through a TCP proxy: a LISTEN connection that goes
silent (no FIN, no RST: a dead NAT entry) is noticed by its keepalive, and notifications
arrive again on a new connection."""

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from core.notify import listen_forever
from core.settings import Settings
from tests.helpers.proxy import proxied
from tests.helpers.workers import eventually

PROXY_PORT = 15491


async def test_a_silent_listen_connection_is_replaced(settings: Settings) -> None:
    url = make_url(settings.database_url)
    direct = url.set(drivername="postgresql").render_as_string(hide_password=False)
    heard: list[str] = []
    with proxied(url.host or "127.0.0.1", url.port or 5432, PROXY_PORT) as proxy:
        through = settings.model_copy(
            update={
                "database_url": url.set(port=PROXY_PORT).render_as_string(hide_password=False),
                "db_write_timeout_s": 1.0,
            }
        )
        listening = asyncio.create_task(
            listen_forever(through, "test_notify", heard.append, "test", keepalive_s=0.5)
        )
        notifier = await asyncpg.connect(direct)
        try:

            def heard_it(payload: str) -> Callable[[], Awaitable[bool]]:
                async def condition() -> bool:  # the first ones may precede the LISTEN
                    await notifier.execute(f"NOTIFY test_notify, '{payload}'")
                    return payload in heard

                return condition

            await eventually(heard_it("before"), 30, "a notification before the silence")
            assert proxy.silence() >= 1  # the LISTEN connection stops forwarding for good
            await eventually(heard_it("after"), 30, "a notification after the silence")
        finally:
            listening.cancel()
            await notifier.close()

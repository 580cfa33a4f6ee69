"""LISTEN on a Postgres channel for as long as the process runs, again after a lost
connection: the workers hear cancels (core/cancels.py), the API released chain steps."""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from core.settings import Settings

log = logging.getLogger(__name__)
RELISTEN_S = 1.0  # after a lost connection (the database restarted)
# A LISTEN connection only reads, so a silent one (a dead NAT entry, a balancer's lost flow)
# would wait forever: it asks the server something this often, and listens again on
# a new connection if no answer comes within the write timeout.
KEEPALIVE_S = 15.0


async def listen_forever(
    settings: Settings,
    channel: str,
    on_payload: Callable[[str], None],
    role: str,
    keepalive_s: float = KEEPALIVE_S,
) -> None:
    """Call `on_payload` with each notification's payload, on this loop, until cancelled.
    Notifications sent while the connection is down are lost: callers have a slower path."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)

    def notified(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        on_payload(payload)

    while True:
        try:
            timeout_s = settings.db_write_timeout_s
            await _listen_until_lost(dsn, timeout_s, channel, notified, role, keepalive_s)
            log.warning("LISTEN %s: the connection was lost; listening again", channel)
        except TimeoutError:
            log.warning("LISTEN %s: no answer in %s s; listening again", channel, timeout_s)
        except Exception:  # whatever it was, listen again: nobody awaits this task
            log.exception("LISTEN %s failed; trying again", channel)
        await asyncio.sleep(RELISTEN_S)


async def _listen_until_lost(
    dsn: str, timeout_s: float, channel: str, notified: Any, role: str, keepalive_s: float
) -> None:
    conn = await asyncpg.connect(
        dsn,
        timeout=timeout_s,
        command_timeout=timeout_s,
        server_settings={"application_name": role},
    )
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    try:
        await conn.add_listener(channel, notified)
        while not lost.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), keepalive_s)
            if not lost.is_set():  # a silent connection never answers: TimeoutError
                await conn.fetchval("SELECT 1", timeout=timeout_s)
    finally:
        conn.terminate()  # close() would wait on a silent connection

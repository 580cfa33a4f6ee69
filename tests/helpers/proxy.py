"""A TCP proxy in front of Postgres or RabbitMQ that a test can take down and bring back,
hold (bytes stop flowing, connections stay open), or silence (the open connections stop
forwarding for good, without a FIN or RST, while new ones work: a dead NAT entry or
balancer flow): a real network failure for the processes that connect through it (no mock).

It runs its own event loop in a thread, so it keeps forwarding while the test's loop
blocks (stopping a worker waits synchronously for it to exit)."""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Proxy:
    def __init__(self, target_host: str, target_port: int, port: int) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._open: set[asyncio.Event] = set()  # one per link, cleared when it goes silent

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def start(self) -> None:
        self._thread.start()
        self.up()

    def stop(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def up(self) -> None:
        self._call(self._up())

    def down(self) -> None:
        """Refuse new connections and cut every open one."""
        self._call(self._down())

    def hold(self) -> None:
        """Stop forwarding in both directions, leaving connections open (a stalled link)."""
        self._call(self._set_flowing(False))

    def release(self) -> None:
        self._call(self._set_flowing(True))

    def silence(self) -> int:
        """Every open connection stops forwarding for good and is never closed; new ones
        flow. Returns how many connections went silent."""
        silenced: int = self._call(self._silence())
        return silenced

    async def _silence(self) -> int:
        links, self._open = self._open, set()
        for link in links:
            link.clear()
        return len(links)

    async def _set_flowing(self, flowing: bool) -> None:
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}
        link = asyncio.Event()
        link.set()
        self._open.add(link)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, link), self._pipe(up_reader, writer, link)
            )
        finally:
            self._open.discard(link)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: asyncio.Event
    ) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                await link.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._links.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()


@contextmanager
def proxied(target_host: str, target_port: int, port: int) -> Iterator[Proxy]:
    proxy = Proxy(target_host, target_port, port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()

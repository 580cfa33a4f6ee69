"""Open a page in headless Chromium (Debian's `chromium`) and evaluate JavaScript in it
over the DevTools protocol: what a reader's browser really lays out, no mock."""

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def page(url: str) -> Iterator["Page"]:
    exe = chromium()
    assert exe is not None, "chromium is not installed"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text().strip():
                assert proc.poll() is None and time.monotonic() < deadline, "chromium did not start"
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            target = httpx.put(f"http://127.0.0.1:{port}/json/new?{url}", timeout=10).json()
            with connect(target["webSocketDebuggerUrl"], max_size=2**24) as ws:
                yield Page(ws, url)
        finally:
            proc.terminate()
            proc.wait(10)


class Page:
    def __init__(self, ws: Any, url: str) -> None:
        self.ws, self.url, self.n = ws, url, 0

    def evaluate(self, expression: str) -> Any:
        """The JSON value of `expression` once the page (not the about:blank before it)
        has loaded."""
        loaded = f"location.href === {json.dumps(self.url)} && document.readyState === 'complete'"
        deadline = time.monotonic() + 30
        while self._call(loaded) is not True:
            assert time.monotonic() < deadline, "the page did not load"
            time.sleep(0.1)
        return self._call(expression)

    def _call(self, expression: str) -> Any:
        self.n += 1
        params = {"expression": expression, "returnByValue": True}
        self.ws.send(json.dumps({"id": self.n, "method": "Runtime.evaluate", "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == self.n:
                return reply["result"]["result"].get("value")

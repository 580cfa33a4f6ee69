"""RabbitMQ administration for the faults, the ledger and the tests: `rabbitmqctl` when the broker
runs on this host (RABBITMQCTL says how to run it: `docker exec <container> rabbitmqctl` for
a broker container), its management HTTP API (RABBITMQ_MANAGEMENT_URL) when it does not
(compose, another host). Either way the same operation, so a fault means the same thing."""

import re
import shlex
import shutil
import subprocess
import time
from urllib.parse import quote, urlsplit

import httpx

from core.settings import Settings

TIMEOUT_S = 30.0


class Unavailable(RuntimeError):
    """Neither rabbitmqctl nor the management API can reach this broker."""


def local(settings: Settings) -> bool:
    """The broker runs here and rabbitmqctl can reach it (what restarts and alarms need)."""
    return _local(settings)


def _local(settings: Settings) -> bool:
    host = urlsplit(settings.amqp_url).hostname or ""
    ctl = shlex.split(settings.rabbitmqctl)
    return (
        host in ("127.0.0.1", "localhost", "::1") and bool(ctl) and shutil.which(ctl[0]) is not None
    )


def _api(settings: Settings) -> httpx.Client:
    url = settings.rabbitmq_management_url
    if not url:
        raise Unavailable(
            "the broker is not on this host (or rabbitmqctl is missing) and "
            "RABBITMQ_MANAGEMENT_URL is not set: set it to http://user:password@host:15672"
        )
    parts = urlsplit(url)
    auth = (parts.username or "", parts.password or "") if parts.username else None
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    return httpx.Client(base_url=base, auth=auth, timeout=TIMEOUT_S)


def how(settings: Settings) -> str:
    """How this broker is administered; raises Unavailable if it cannot be."""
    if _local(settings):
        return "rabbitmqctl"
    with _api(settings) as api:
        api.get("/api/overview").raise_for_status()
    return "management API"


def _ctl(settings: Settings, *args: str) -> str:
    cmd = [*shlex.split(settings.rabbitmqctl), "-q", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {args[0]} failed: {(out.stderr or out.stdout)[-300:]}")
    return out.stdout


def close_all_connections(settings: Settings, reason: str) -> int:
    """Close every client connection; returns how many there were (-1: rabbitmqctl
    does not say)."""
    if _local(settings):
        _ctl(settings, "close_all_connections", reason)
        return -1
    with _api(settings) as api:
        names = [c["name"] for c in api.get("/api/connections").raise_for_status().json()]
        for name in names:
            api.delete(f"/api/connections/{quote(name, safe='')}", headers={"X-Reason": reason})
    return len(names)


def restart(settings: Settings, down_s: float) -> None:
    """Stop the broker's application for `down_s` seconds, then start it (local only)."""
    _ctl(settings, "stop_app")
    try:
        time.sleep(down_s)  # the outage's length, as scheduled
    finally:
        _ctl(settings, "start_app")
        _ctl(settings, "await_startup")


def memory_watermark(settings: Settings) -> str:
    """The vm_memory_high_watermark in force, as rabbitmqctl's set command takes it back."""
    term = _ctl(settings, "eval", "vm_memory_monitor:get_vm_memory_high_watermark().").strip()
    absolute = re.fullmatch(r"\{absolute,\s*(\d+)\}", term)
    return f"absolute {absolute[1]}" if absolute else str(float(term))


def set_memory_watermark(settings: Settings, value: str) -> None:
    _ctl(settings, "set_vm_memory_high_watermark", *value.split())


def version(settings: Settings) -> str:
    try:
        if _local(settings):
            return _ctl(settings, "version").strip()
        with _api(settings) as api:
            return str(api.get("/api/overview").raise_for_status().json()["rabbitmq_version"])
    except (Unavailable, RuntimeError, OSError, httpx.HTTPError, subprocess.SubprocessError) as exc:
        return f"unavailable: {exc}"

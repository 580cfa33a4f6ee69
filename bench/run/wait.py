"""The harness's one way to wait: poll a condition until it holds or its bound passes."""

import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


class TimedOut(RuntimeError):
    pass


def until(
    condition: Callable[[], _T],
    limit_s: float,
    what: str,
    poll_s: float = 0.1,
    check: Callable[[], None] | None = None,
) -> _T:
    """The first truthy value of `condition()`, polled every `poll_s`; TimedOut naming
    `what` after `limit_s`. `check` runs before each poll and may raise (a process died)."""
    deadline = time.monotonic() + limit_s
    while True:
        if check is not None:
            check()
        if found := condition():
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimedOut(f"{what}: not within {limit_s:g} s")
        time.sleep(min(poll_s, left))


def within(condition: Callable[[], _T], limit_s: float, poll_s: float = 0.1) -> _T | None:
    """Like `until`, but None at the bound instead of an error."""
    try:
        return until(condition, limit_s, "", poll_s)
    except TimedOut:
        return None

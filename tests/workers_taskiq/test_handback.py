"""The hand-back broker settles each delivery by its own task's verdict: two deliveries of
one job in flight at once (after a broker drop) cannot take each other's. Pure logic, on
the broker's own settle path, with message stand-ins that record how they were settled."""

import asyncio
from typing import Any

from taskiq import TaskiqMessage, TaskiqResult

from core.lifecycle import DatabaseUnavailable
from workers_taskiq.broker import broker
from workers_taskiq.handback import HandBackMiddleware


class Delivery:
    """What settle() calls on an aio-pika incoming message."""

    def __init__(self) -> None:
        self.settled: list[str] = []

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nack(self, requeue: bool) -> None:
        self.settled.append(f"nack requeue={requeue}")

    async def reject(self, requeue: bool) -> None:
        self.settled.append(f"reject requeue={requeue}")


def message() -> TaskiqMessage:
    same_job = "11111111-2222-3333-4444-555555555555"
    return TaskiqMessage(task_id=same_job, task_name="price_order", labels={}, args=[], kwargs={})


async def deliver(
    error: BaseException | None, started: asyncio.Event, go: asyncio.Event
) -> Delivery:
    """One delivery as taskiq runs it: in a task of its own, its error, then its ack."""
    incoming, middleware = Delivery(), HandBackMiddleware()
    middleware.set_broker(broker)
    if error is not None:
        result: TaskiqResult[Any] = TaskiqResult(is_err=True, return_value=None, execution_time=0)
        await middleware.on_error(message(), result, error)
    started.set()
    await go.wait()  # both deliveries are in flight before either is settled
    await broker.settle(incoming)  # type: ignore[arg-type]
    return incoming


async def test_two_deliveries_of_one_job_keep_their_own_verdicts() -> None:
    go, first, second = asyncio.Event(), asyncio.Event(), asyncio.Event()
    down = asyncio.create_task(deliver(DatabaseUnavailable("db down"), first, go))
    fine = asyncio.create_task(deliver(None, second, go))
    broken = asyncio.create_task(deliver(ValueError("bug"), asyncio.Event(), go))
    await first.wait()
    await second.wait()
    go.set()
    assert (await down).settled == ["nack requeue=True"]  # handed back
    assert (await fine).settled == ["ack"]
    assert (await broken).settled == ["reject requeue=False"]  # dead-lettered

"""Nothing waits forever: what every API process does every RECOVERY_INTERVAL_S.

1. The outbox sweep. A row still `publishing` OUTBOX_GRACE_S after it was written
   lost its API process between commit and publish (no live process publishes that
   long). It is published again; the lifecycle is idempotent, so if the first message
   did go out, the second delivery finds the job finished and changes nothing.
2. Dead letters. RabbitMQ dead-letters a message past its delivery limit (hand-backs
   while the database was down, worker crashes) or when a worker rejects it. The
   copy in `<queue>.dead_letter.recovery` names the job, which is marked failed once
   the database takes the write; the copy in `<queue>.dead_letter` stays for operators.
3. Overdue rows. Every attempt ends by its deadline (core.lifecycle), so a row still
   `running` RUNNING_GRACE_S past its attempt's deadline has no delivery left to end it
   (its worker died and nothing redelivered the message): it is marked failed. A message
   delivered after that finds the job finished and changes nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import func

from api.publishers import Outgoing, Publisher, publish
from core.chains import STOP_BROKEN
from core.contract import UNFINISHED, Backend, JobStatus, Priority
from core.models import Job
from core.settings import Settings
from core.topology import DeadLetters, declare_dead_letters, job_id_of

log = logging.getLogger(__name__)
BATCH = 500


def outgoing(row: Any) -> tuple[Backend, Outgoing]:
    """A row's message as first published: a delayed job keeps its run_at."""
    job = Outgoing(row.id, row.task, row.run_at, Priority(row.priority))
    return Backend(row.backend), job


@dataclass
class Pass:
    republished: int = 0
    failed: int = 0
    overdue: int = 0
    errors: list[str] = field(default_factory=list)  # a step that could not run now


def dead_letter_error(headers: dict[str, Any], settings: Settings) -> str:
    # The newest death first: a delayed message's first death was its delay expiring.
    deaths = headers.get("x-death")
    newest = deaths[0] if isinstance(deaths, list) and deaths else None
    why = newest.get("reason") if isinstance(newest, dict) else headers.get("x-first-death-reason")
    if why == "delivery_limit":
        return (
            f"dead-lettered: returned to the queue more than {settings.delivery_limit} times "
            "(DELIVERY_LIMIT: worker crashes, or hand-backs while the database was down)"
        )
    if why == "rejected":
        return "dead-lettered: the worker rejected the message (its task raised)"
    return f"dead-lettered ({why})"


class Recovery:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        publishers: dict[Backend, Publisher],
    ) -> None:
        self.settings, self.sessionmaker, self.publishers = settings, sessionmaker, publishers
        self.queues = [settings.queue_for(b) for b in publishers]
        self._amqp: AbstractRobustConnection | None = None
        self._declared = False

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.recovery_interval_s)
            await self.once()

    async def once(self) -> Pass:
        """One pass; a step that fails (RabbitMQ or Postgres down) is tried next time."""
        done = Pass()

        async def attempt(step: Callable[[], Awaitable[int]]) -> int:
            try:
                return await step()
            except Exception as exc:
                done.errors.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
                log.warning("recovery: %s", done.errors[-1])
                return 0

        done.republished = await attempt(self.republish_stale)
        done.failed = await attempt(self.fail_dead_lettered)
        done.overdue = await attempt(self.fail_overdue)
        await attempt(self.stop_broken_chains)
        return done

    async def stop_broken_chains(self) -> int:
        """Cancel chain steps still waiting behind a step that failed outside the lifecycle
        (dead-lettered, overdue, or its publish failed)."""
        async with self.sessionmaker() as session:
            result = await session.execute(STOP_BROKEN)
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def fail_overdue(self) -> int:
        s = self.settings
        deadline = case(s.deadlines_s, value=Job.task, else_=s.max_deadline_s)
        since = func.clock_timestamp() - func.make_interval(
            0, 0, 0, 0, 0, 0, deadline + s.running_grace_s
        )
        why = (
            "settled by the recovery: still running RUNNING_GRACE_S "
            f"({s.running_grace_s:g} s) past its attempt's deadline, with no delivery left "
            "to end it (its worker died and nothing delivered the message again)"
        )
        async with self.sessionmaker() as session:
            settled = (
                await session.scalars(
                    update(Job)
                    .where(Job.status == JobStatus.running, Job.started_at < since)
                    .values(status=JobStatus.failed, error=why, finished_at=func.clock_timestamp())
                    .returning(Job.id)
                )
            ).all()
            await session.commit()
        if settled:
            log.warning("recovery: %d overdue running job(s) marked failed", len(settled))
        return len(settled)

    async def republish_stale(self) -> int:
        grace = func.make_interval(0, 0, 0, 0, 0, 0, self.settings.outbox_grace_s)
        sent = await self.publish_rows(Job.enqueued_at < func.clock_timestamp() - grace)
        if sent:
            log.warning("recovery: published %d job(s) left unpublished", sent)
        return sent

    async def publish_released(self, ids: list[UUID]) -> int:
        """Chain steps their previous step released (core/chains.py): published now."""
        return await self.publish_rows(Job.id.in_(ids))

    async def publish_rows(self, which: ColumnElement[bool]) -> int:
        """Publish `publishing` rows of the backends served; the row lock lets one API
        process publish each while the others skip it."""
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Job.id, Job.backend, Job.task, Job.run_at, Job.priority)
                    .where(
                        Job.status == JobStatus.publishing,
                        Job.backend.in_([b.value for b in self.publishers]),
                        which,
                    )
                    .order_by(Job.enqueued_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            failed = await publish(self.publishers, [outgoing(r) for r in rows])
            sent = [r.id for r in rows if r.id not in failed]
            await session.execute(
                update(Job)
                .where(Job.id.in_(sent), Job.status == JobStatus.publishing)
                .values(status=JobStatus.queued, publishes=Job.publishes + 1)
            )
            await session.commit()
        return len(sent)

    async def fail_dead_lettered(self) -> int:
        if not self._declared:
            await declare_dead_letters(self.settings, *self.queues)
            self._declared = True
        if self._amqp is None:
            self._amqp = await aio_pika.connect_robust(
                self.settings.amqp_connect_url, timeout=self.settings.publish_timeout_s
            )
        failed = 0
        async with self._amqp.channel() as channel:
            for queue in self.queues:
                dead = await channel.get_queue(DeadLetters.of(queue).recovery, ensure=False)
                for _ in range(BATCH):
                    message = await dead.get(no_ack=False, fail=False)
                    if message is None:
                        break
                    headers = dict(message.headers or {})
                    job_id = job_id_of(headers)
                    if job_id is not None:
                        try:
                            failed += await self._mark_failed(job_id, headers)
                        except Exception:
                            await message.nack(requeue=True)  # the database is not back yet
                            raise
                    await message.ack()  # no job to fail (poison): the kept copy remains
        return failed

    async def _mark_failed(self, job_id: UUID, headers: dict[str, Any]) -> int:
        async with self.sessionmaker() as session:
            marked = await session.scalar(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(UNFINISHED))
                .values(
                    status=JobStatus.failed,
                    error=dead_letter_error(headers, self.settings),
                    finished_at=func.clock_timestamp(),
                )
                .returning(Job.id)
            )
            await session.commit()
        if marked is not None:
            log.warning("recovery: job %s dead-lettered; marked failed", job_id)
        return int(marked is not None)

    async def close(self) -> None:
        if self._amqp is not None:
            with suppress(Exception):
                await self._amqp.close()

"""Two probes, not jobs to copy: beside the four jobs they show what the queue path
itself costs. `noop` is the lifecycle alone (running, then done); `sleep` awaits a
sleep of `ms` milliseconds, with no I/O at all. Only the benchmark's workers and API
register them (`register()`)."""

import asyncio
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.jobs import JOBS, JobSpec
from core.jobs.context import JobContext


class ProbeName(StrEnum):
    noop = "noop"
    sleep = "sleep"


class NoopPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SleepPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ms: int = Field(100, ge=0, le=10_000)


async def noop(ctx: JobContext, payload: NoopPayload) -> dict[str, Any]:
    return {}


async def sleep(ctx: JobContext, payload: SleepPayload) -> dict[str, Any]:
    await asyncio.sleep(payload.ms / 1000)
    return {"slept_ms": payload.ms}


def register() -> None:
    """The probes become tasks the lifecycle can run, beside the four jobs."""
    JOBS[ProbeName.noop] = JobSpec(NoopPayload, noop)
    JOBS[ProbeName.sleep] = JobSpec(SleepPayload, sleep)

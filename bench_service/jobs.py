"""The jobs the benchmark's workers run: the four jobs, and two probes beside them that show
what the queue path itself costs. `noop` is the lifecycle alone (running, then done);
`sleep` awaits a sleep of `ms` milliseconds, with no I/O at all. With TEST_HOLD_MS every
job holds its transaction open after its work (a fault hook)."""

import asyncio
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from bench_service.settings import get_bench_settings
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


PROBES = {
    ProbeName.noop.value: JobSpec(NoopPayload, noop),
    ProbeName.sleep.value: JobSpec(SleepPayload, sleep),
}


def held(spec: JobSpec, ms: int) -> JobSpec:
    """The job, then `ms` of pg_sleep in its transaction, before its `done`."""

    async def run(ctx: JobContext, payload: Any) -> dict[str, Any]:
        result = await spec.run(ctx, payload)
        await ctx.session.execute(select(func.pg_sleep(ms / 1000)))
        return result

    return JobSpec(spec.payload, run)


def hooked_jobs() -> dict[str, JobSpec]:
    """The benchmark's registry as the settings ask (TEST_HOLD_MS)."""
    return bench_jobs(get_bench_settings().test_hold_ms)


def bench_jobs(hold_ms: int = 0) -> dict[str, JobSpec]:
    """The four jobs and the probes, each held `hold_ms` before its `done` when asked."""
    jobs = {**JOBS, **PROBES}
    return {name: held(spec, hold_ms) for name, spec in jobs.items()} if hold_ms else jobs

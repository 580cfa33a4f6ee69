"""The API as the benchmark runs it (`uvicorn bench_service.api:app`): api.main's app, plus
routes for the two probe tasks (POST /probes, POST /probes/batch) and, when TEST_PUBLISH_DELAY_MS
asks, publishers that pause before each publish. Not for copying: the probes measure the
queue path, the pause widens the commit -> publish window for the api-kill fault."""

import asyncio
from collections.abc import Sequence
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, FastAPI, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import EnqueuerDep
from api.main import create_app
from api.publishers import Outgoing, Publisher
from api.publishers.by_backend import PublishersFor, make_publishers
from api.routes.jobs import UNAVAILABLE
from api.schemas import MAX_BATCH, Accepted, BatchAccepted, JobBase
from bench_service.jobs import NoopPayload, SleepPayload
from bench_service.settings import BenchSettings, get_bench_settings
from core.contract import Backend
from core.settings import Settings


class NoopJob(JobBase):
    task: Literal["noop"]
    payload: NoopPayload = Field(default_factory=NoopPayload)


class SleepJob(JobBase):
    task: Literal["sleep"]
    payload: SleepPayload = Field(default_factory=SleepPayload)


ProbeIn = Annotated[NoopJob | SleepJob, Field(discriminator="task")]


class ProbeBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jobs: list[ProbeIn] = Field(min_length=1, max_length=MAX_BATCH)


router = APIRouter(prefix="/probes", tags=["benchmark probes"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue_probe(job: ProbeIn, enqueuer: EnqueuerDep) -> Accepted:
    [job_id] = await enqueuer.accept([job])
    return Accepted(id=job_id)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, responses=UNAVAILABLE)
async def enqueue_probes(batch: ProbeBatchIn, enqueuer: EnqueuerDep) -> BatchAccepted:
    return BatchAccepted(ids=await enqueuer.accept(batch.jobs))


class PausingPublisher:
    """A publisher that waits `pause_s` before each publish (the rows are committed): once
    per backend in a batch, and in the recovery's republish too (the api-kill cell's
    restarted API runs without the pause)."""

    def __init__(self, inner: Publisher, pause_s: float) -> None:
        self.inner, self.pause_s = inner, pause_s

    async def start(self) -> None:
        await self.inner.start()

    def blocked(self) -> bool:
        return self.inner.blocked()

    async def publish(self, jobs: Sequence[Outgoing]) -> dict[UUID, str]:
        await asyncio.sleep(self.pause_s)
        return await self.inner.publish(jobs)

    async def close(self) -> None:
        await self.inner.close()


def pausing(publishers_for: PublishersFor, pause_ms: int) -> PublishersFor:
    def publishers(settings: Settings) -> dict[Backend, Publisher]:
        made = publishers_for(settings)
        if not pause_ms:
            return made
        return {b: PausingPublisher(p, pause_ms / 1000) for b, p in made.items()}

    return publishers


def create_benchmark_app(
    settings: BenchSettings | None = None, publishers_for: PublishersFor = make_publishers
) -> FastAPI:
    """api.main's app with the probes' routes and the settings' fault hook."""
    settings = settings or get_bench_settings()
    app = create_app(settings, pausing(publishers_for, settings.test_publish_delay_ms))
    app.include_router(router)
    return app


app = create_benchmark_app()

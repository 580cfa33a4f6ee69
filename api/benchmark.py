"""The API as the benchmark runs it (`uvicorn api.benchmark:app`): api.main's app, plus
routes for the two probe tasks (POST /probes, POST /probes/batch) and the fault hook the
settings ask for (TEST_PUBLISH_DELAY_MS). Not for copying: the probes measure the queue
path, the hook widens a window for the api-kill fault."""

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import EnqueuerDep
from api.main import create_app
from api.routes.jobs import UNAVAILABLE
from api.schemas import MAX_BATCH, Accepted, BatchAccepted, JobBase
from core import test_hooks
from core.jobs.probes import NoopPayload, SleepPayload
from core.settings import Settings, get_settings


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


def create_benchmark_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_app(settings, before_publish=test_hooks.publish_pause(settings))
    app.include_router(router)
    return app


app = create_benchmark_app()

"""Figures for the features both backends offer: how late a delayed job starts, idle and
under a backlog, and how long high-priority jobs wait against normal ones.

`python -m bench features` starts its own stub, API and one deployed worker per backend
(`python -m workers_celery`, `python -m workers_taskiq`) on a database and queues of its
own, then runs each measurement for each backend in turn, rounds interleaved, and prints
and saves (results/features-<time>.json) the figures. Priorities need RabbitMQ 4 (quorum
queues ignore them before): on an older broker they are printed as not measured.
"""

import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.report.blocks import Block, Heading, Para, to_markdown
from bench.report.features import feature_blocks, rounds_blocks
from bench.report.html import to_html
from bench.run.processes.supervisor import managed, wait_http
from bench.run.wait import until
from bench.stats import percentile
from core.contract import FINISHED, Backend
from core.db import make_engine, make_sessionmaker
from core.models import Job
from core.settings import Settings
from scripts.ensure_db import ensure_database

PY = sys.executable
API_PORT, STUB_PORT = 18100, 18190
DELAY_S = 10.0
PACED = 300  # delayed jobs per measurement, posted PACE_S apart
PACE_S = 1 / 30
BACKLOG = 6000  # price_order jobs ahead of the measured ones: tens of seconds of work
# The measured job: a price_order, whose cost stays the same as orders pile up (a
# sales_report aggregates them all, and would slow down run after run).
MEASURED = {"task": "price_order"}
TABLES = "jobs, order_items, orders, sales_summary, invoices"


def environment(settings: Settings) -> dict[str, str]:
    """A database and queues of our own, so no deployment's data is touched."""
    url = make_url(settings.database_url).set(database="queuebench_features")
    return {
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "CELERY_QUEUE": "features.celery",
        "TASKIQ_QUEUE": "features.taskiq",
        "TASKIQ_EXCHANGE": "features.taskiq",
        "STUB_URL": f"http://127.0.0.1:{STUB_PORT}",
        "CELERY_TASK_EVENTS": "false",
        "API_BIND": "127.0.0.1",
    }


async def broker_version(settings: Settings) -> tuple[int, ...]:
    """The RabbitMQ version, as the broker announces itself."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        assert connection.transport is not None
        version = connection.transport.connection.server_properties["version"]
    text = version.decode() if isinstance(version, bytes) else str(version)
    return tuple(int(part) for part in text.split(".")[:3])


class Probe:
    def __init__(self, settings: Settings, api: httpx.AsyncClient) -> None:
        self.settings, self.api = settings, api
        self.sessionmaker = make_sessionmaker(make_engine(settings, null_pool=True))

    async def post_paced(self, backend: str, run_id: str, n: int, **extra: Any) -> None:
        """n single POSTs, PACE_S apart (a steady arrival, not a burst)."""
        start = time.monotonic()
        for k in range(n):
            job = {"backend": backend, **MEASURED, "run_id": run_id, **extra}
            response = await self.api.post("/jobs", json=job)
            response.raise_for_status()
            await asyncio.sleep(max(0.0, start + (k + 1) * PACE_S - time.monotonic()))

    async def post_backlog(self, backend: str, run_id: str) -> None:
        job = {"backend": backend, "task": "price_order", "run_id": run_id}
        for _ in range(BACKLOG // 1000):
            response = await self.api.post("/jobs/batch", json={"jobs": [job] * 1000})
            response.raise_for_status()

    async def rows(self, run_id: str, expected: int) -> list[Job]:
        """Every job of run_id, once all are finished."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            async with self.sessionmaker() as s:
                jobs = list((await s.scalars(select(Job).where(Job.run_id == run_id))).all())
            if len(jobs) >= expected and all(j.status in FINISHED for j in jobs):
                return jobs
            await asyncio.sleep(0.5)
        raise TimeoutError(f"the jobs of {run_id} did not finish within 600 s")

    async def lateness(self, backend: str, backlog: bool) -> dict[str, Any]:
        """Seconds from run_at to the first start, of PACED jobs delayed DELAY_S."""
        run_id, ahead = f"late-{uuid4().hex[:8]}", f"ahead-{uuid4().hex[:8]}"
        if backlog:
            await self.post_backlog(backend, ahead)
        await self.post_paced(backend, run_id, PACED, delay_s=DELAY_S)
        jobs = await self.rows(run_id, PACED)
        if backlog:
            await self.rows(ahead, BACKLOG)
        late = [queue_wait(j) for j in jobs if started(j)]  # from run_at
        return summary(late, len(jobs), early=sum(1 for x in late if x < 0))

    async def priority(self, backend: str) -> dict[str, Any]:
        """Queue wait of high and normal jobs posted at the same moments behind a backlog."""
        ahead, high, normal = (f"{k}-{uuid4().hex[:8]}" for k in ("ahead", "high", "normal"))
        await self.post_backlog(backend, ahead)
        for _ in range(PACED // 2):
            for run_id, level in ((high, "high"), (normal, "normal")):
                job = {"backend": backend, **MEASURED, "run_id": run_id}
                response = await self.api.post("/jobs", json={**job, "priority": level})
                response.raise_for_status()
            await asyncio.sleep(2 * PACE_S)
        waits = {}
        for run_id in (high, normal):
            jobs = await self.rows(run_id, PACED // 2)
            waits[run_id] = [queue_wait(j) for j in jobs if started(j)]
        await self.rows(ahead, BACKLOG)
        return {
            "high": summary(waits[high], PACED // 2),
            "normal": summary(waits[normal], PACED // 2),
        }


def started(job: Job) -> bool:
    return job.first_started_at is not None and job.status == "done"


def queue_wait(job: Job) -> float:
    assert job.first_started_at is not None
    return (job.first_started_at - (job.run_at or job.enqueued_at)).total_seconds()


def summary(values: list[float], jobs: int, **extra: Any) -> dict[str, Any]:
    return {
        "jobs": jobs,
        "done": len(values),
        "p50_s": percentile(values, 50),
        "p99_s": percentile(values, 99),
        "max_s": max(values, default=None),
        **extra,
    }


async def measure(settings: Settings, rounds: int) -> dict[str, Any]:
    token = settings.api_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    version = await broker_version(settings)
    figures: dict[str, Any] = {
        "rabbitmq": ".".join(map(str, version)),
        "delay_s": DELAY_S, "paced_jobs": PACED, "pace_s": PACE_S, "backlog_jobs": BACKLOG,
        "rounds": [],
    }  # fmt: skip
    base = f"http://127.0.0.1:{API_PORT}"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
        probe = Probe(settings, api)
        async with probe.sessionmaker() as session:  # every run starts from empty tables
            await session.execute(text(f"TRUNCATE {TABLES}"))
            await session.commit()
        for n in range(rounds):
            order = list(Backend) if n % 2 == 0 else list(reversed(Backend))
            this: dict[str, Any] = {}
            for backend in order:
                this[backend] = {
                    "idle": await probe.lateness(backend, backlog=False),
                    "backlog": await probe.lateness(backend, backlog=True),
                    "priority": await probe.priority(backend) if version >= (4, 0) else None,
                }
                print(f"round {n + 1} {backend}: {json.dumps(this[backend])}", flush=True)
            figures["rounds"].append(this)
    return figures


def main(rounds: int, results: Path) -> Path:
    base = Settings()
    env = environment(base)
    names = ("DATABASE_URL", "CELERY_QUEUE", "TASKIQ_QUEUE", "TASKIQ_EXCHANGE", "STUB_URL")
    settings = base.model_copy(update={name.lower(): env[name] for name in names})
    asyncio.run(ensure_database(settings.database_url))
    out = results / f"features-{datetime.now():%Y%m%d-%H%M%S}.json"
    results.mkdir(parents=True, exist_ok=True)
    with managed(results / (out.stem + "-logs"), env) as procs:
        procs.start("migrate", [PY, "-m", "alembic", "upgrade", "head"]).wait()
        procs.start("stub", [PY, "-m", "uvicorn", "stub.app:app", "--port", str(STUB_PORT)])
        wait_http(f"{settings.stub_url}/health", procs, "stub")
        procs.start("api", [PY, "-m", "uvicorn", "api.main:app", "--port", str(API_PORT)])
        wait_http(f"http://127.0.0.1:{API_PORT}/health", procs, "api")
        procs.start("workers.celery", [PY, "-m", "workers_celery", "--loglevel=WARNING"])
        procs.start("workers.taskiq", [PY, "-m", "workers_taskiq", "--log-level", "WARNING"])
        until(lambda: consuming(settings), 120, "both workers consuming")
        figures = asyncio.run(measure(settings, rounds))
    out.write_text(json.dumps(figures, indent=1))
    print(to_markdown(rounds_blocks(figures)))
    print(f"page: {write_page(out)}")
    return out


def write_page(saved: Path) -> Path:
    """A saved run's figures (its JSON) as a page beside them: .md and .html."""
    figures = json.loads(saved.read_text())
    items = page(figures, saved.stem)
    saved.with_suffix(".md").write_text(to_markdown(items), encoding="utf-8")
    html = saved.with_suffix(".html")
    html.write_text(to_html(items, f"queuebench {saved.stem}"), encoding="utf-8")
    return html


def page(figures: dict[str, Any], name: str) -> list[Block]:
    """The features' report: the matrix with this run's figures, then the rounds."""
    return [
        Heading(1, f"Celery or Taskiq: what each does, and the features' figures ({name})"),
        Para(
            f"`python -m bench features --rounds {len(figures['rounds'])}` on RabbitMQ "
            f"{figures['rabbitmq']}. A delay's lateness is from `run_at` to the job's first "
            "start; a queue wait from enqueue to the first start. Ranges span the rounds."
        ),
        *feature_blocks(figures),
        *rounds_blocks(figures),
    ]


def consuming(settings: Settings) -> bool:
    async def count() -> int:
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            n = 0
            for backend in Backend:
                queue = await channel.declare_queue(settings.queue_for(backend), passive=True)
                n += min(1, queue.declaration_result.consumer_count or 0)
            return n

    try:
        return asyncio.run(count()) == len(Backend)
    except Exception:
        return False

"""Shared fixtures. Tests use their own database and queue names, so they never
touch a benchmark run; everything they talk to is real (Postgres, RabbitMQ)."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# Forced, not defaulted: an exported DATABASE_URL must never aim the suite at real data.
os.environ.update(
    DATABASE_URL=os.environ.get(
        "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/queuebench_test"
    ),
    CELERY_QUEUE="test.celery",
    TASKIQ_QUEUE="test.taskiq",
    TASKIQ_EXCHANGE="test.taskiq",
    STUB_URL="http://127.0.0.1:18090",
    RETRY_BACKOFF_S="0.05",
    DELIVERY_LIMIT="3",
    # Tests run the API's recovery pass themselves (app.state.services.recovery.once()).
    RECOVERY_INTERVAL_S="3600",
)

from core.contract import Backend
from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from core.topology import all_queues, delay_queue
from scripts.ensure_db import ensure_database
from tests.helpers import amqp, api, processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES = "jobs, order_items, orders, sales_summary, invoices"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    await ensure_database(settings.database_url)
    migrate = [sys.executable, "-m", "alembic", "upgrade", "head"]
    await asyncio.to_thread(subprocess.run, migrate, cwd=ROOT, check=True, env=os.environ)
    engine = make_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def clean_db(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES}"))


@pytest.fixture(scope="session", autouse=True)
async def fresh_queues(settings: Settings) -> None:
    """Declared afresh by this run, with this version's arguments."""
    queues = [settings.queue_for(b) for b in Backend]
    await amqp.delete(settings, *queues, delay_queue(settings.taskiq_queue))


def run_stub(url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    port = url.rsplit(":", 1)[1]
    cmd = [sys.executable, "-m", "uvicorn", "stub.app:app", "--port", port]
    with processes.running([*cmd, "--log-level", "warning"], cwd=ROOT, env=env) as proc:
        processes.wait_http_ok(f"{url}/health", proc)
        yield url


@pytest.fixture(scope="session")
def stub(settings: Settings) -> Iterator[str]:
    yield from run_stub(settings.stub_url)


@pytest.fixture(scope="session")
def failing_stub() -> Iterator[str]:
    """A second stub that answers every call 503 (TEST_STUB_STATUS)."""
    yield from run_stub("http://127.0.0.1:18092", {"TEST_STUB_STATUS": "503"})


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture
async def client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for c in api.serve(settings):
        yield c


@pytest.fixture
async def client_broker_down(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    down = settings.model_copy(
        update={"amqp_url": "amqp://guest:guest@127.0.0.1:1/", "publish_timeout_s": 2.0}
    )
    async for c in api.serve(down):
        yield c


@pytest.fixture
async def empty_queues(settings: Settings) -> AsyncIterator[None]:
    queues = all_queues(settings)
    await amqp.purge(settings, *queues)
    yield
    await amqp.purge(settings, *queues)

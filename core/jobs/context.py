"""What a job gets from its worker: one session, one HTTP client, its own id."""

from dataclasses import dataclass
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class JobContext:
    job_id: UUID
    session: AsyncSession
    http: httpx.AsyncClient
    stub_url: str

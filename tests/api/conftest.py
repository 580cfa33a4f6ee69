from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Job


async def job_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Job)) or 0)

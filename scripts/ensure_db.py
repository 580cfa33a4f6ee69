"""Create the database named in DATABASE_URL if it does not exist yet."""

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from core.settings import get_settings


async def ensure_database(url: str) -> bool:
    """Return True if the database was created."""
    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{target.database}"')
        return not exists
    finally:
        await conn.close()


if __name__ == "__main__":
    created = asyncio.run(ensure_database(get_settings().database_url))
    print("database created" if created else "database exists")

"""GET /health: Postgres and RabbitMQ reachability (503 if either is down)."""

import aio_pika
import anyio
from fastapi import APIRouter, Response, status
from sqlalchemy import text

from api.deps import PublishersDep, SessionDep, SettingsDep
from api.schemas import Health

router = APIRouter(tags=["health"])
TIMEOUT_S = 3.0


@router.get("/health", responses={503: {"model": Health, "description": "A dependency is down"}})
async def health(
    session: SessionDep, settings: SettingsDep, publishers: PublishersDep, response: Response
) -> Health:
    result = Health(postgres="ok", rabbitmq="ok")
    try:
        with anyio.fail_after(TIMEOUT_S):
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        result.postgres = f"down: {type(exc).__name__}"
    try:
        with anyio.fail_after(TIMEOUT_S):
            connection = await aio_pika.connect(settings.amqp_connect_url, timeout=TIMEOUT_S)
            await connection.close()
    except Exception as exc:
        result.rabbitmq = f"down: {type(exc).__name__}"
    blocked = sorted(b for b, p in publishers.items() if p.blocked())
    if result.rabbitmq == "ok" and blocked:
        result.rabbitmq = (
            f"blocked: RabbitMQ blocks publishing ({', '.join(blocked)}): a resource alarm"
        )
    if result.postgres != "ok" or result.rabbitmq != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return result

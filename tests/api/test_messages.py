"""The row is the truth: a message holds the job id and nothing of the payload."""

import json
from uuid import UUID

import httpx
import pytest

from core.contract import Backend
from core.settings import Settings
from core.topology import job_id_of
from tests.helpers import amqp

pytestmark = pytest.mark.usefixtures("empty_queues")
SECRET = {"items": [{"sku": "SECRET-SKU", "qty": 2}], "prices": {"SECRET-SKU": "7.77"}}


@pytest.mark.parametrize("backend", list(Backend))
async def test_a_message_off_the_queue_holds_no_payload(
    client: httpx.AsyncClient, settings: Settings, backend: Backend
) -> None:
    body = {"backend": backend, "task": "price_order", "payload": SECRET}
    response = await client.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]

    taken = await amqp.take(settings, settings.queue_for(backend))  # no worker runs
    assert taken is not None
    raw, headers = taken
    assert b"SECRET-SKU" not in raw and b"7.77" not in raw
    message = json.loads(raw)
    if backend is Backend.celery:  # protocol 2: [args, kwargs, embed]
        args, kwargs = message[0], message[1]
    else:
        args, kwargs = message["args"], message["kwargs"]
    assert (args, kwargs) == ([], {"job_id": job_id})
    assert job_id_of(headers) == UUID(job_id)
    assert len(raw) < 400

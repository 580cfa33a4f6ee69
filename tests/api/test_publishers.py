"""The API's publishers against the real RabbitMQ: what a Celery worker receives from
our aio-pika publish is what Celery's own `send_task` would have sent."""

from uuid import uuid4

import anyio
import pytest
from yarl import URL

from api.publishers import Outgoing
from api.publishers.by_backend import make_publishers
from api.publishers.celery import CeleryPublisher, message_app
from bench_service.api_variants.send_task import SendTaskPublisher
from core.contract import Backend
from core.settings import Settings
from tests.helpers import amqp
from tests.helpers.proxy import proxied
from workers_celery.app import make_worker_app

pytestmark = pytest.mark.usefixtures("empty_queues")
PROXY_PORT = 25673  # a stalled link to RabbitMQ


async def test_celery_message_is_the_one_send_task_sends(settings: Settings) -> None:
    queue = settings.queue_for(Backend.celery)
    job = Outgoing(uuid4(), "price_order")
    ours, celerys = CeleryPublisher(settings), SendTaskPublisher(settings, in_thread=False)
    ours.app = celerys.app  # reply_to is an id of the app and thread (the next test: the rest)
    try:
        assert await ours.publish([job]) == {}
        sent_by_us = await amqp.take_whole(settings, queue)
        assert await celerys.publish([job]) == {}  # on this thread: the same reply_to
        sent_by_celery = await amqp.take_whole(settings, queue)
    finally:
        await ours.close()
        await celerys.close()
    assert sent_by_us is not None and sent_by_celery is not None
    assert sent_by_us["headers"]["id"] == str(job.job_id)
    assert sent_by_us["headers"]["task"] == "price_order"
    # The one addition: a message id (aiormq matches returned messages by it).
    assert (sent_by_us.pop("message_id"), sent_by_celery.pop("message_id")) == (
        str(job.job_id),
        None,
    )
    assert sent_by_us == sent_by_celery


def test_the_apis_message_app_builds_the_workers_message() -> None:
    """The API builds Celery's message with a bare app (api/publishers/celery.py): what it
    builds equals what the workers' fully configured app builds, reply_to aside."""
    job_id = str(uuid4())
    built = [
        app.amqp.create_task_message(
            job_id, "price_order", (), {"job_id": job_id}, reply_to="r", ignore_result=None
        )
        for app in (message_app(), make_worker_app("test"))
    ]
    assert built[0] == built[1]


async def test_a_message_with_no_queue_is_not_confirmed_as_sent(settings: Settings) -> None:
    lonely = settings.model_copy(update={"celery_queue": f"test.unroutable.{uuid4().hex[:8]}"})
    publisher = CeleryPublisher(lonely)
    try:
        await publisher.start()  # declares the queue ...
        await amqp.delete(lonely, lonely.celery_queue)  # ... which then disappears
        job = Outgoing(uuid4(), "price_order")
        failed = await publisher.publish([job])
    finally:
        await publisher.close()
    assert list(failed) == [job.job_id]
    assert "publish failed" in failed[job.job_id]


async def test_many_messages_all_confirmed(settings: Settings) -> None:
    queue = settings.queue_for(Backend.celery)
    jobs = [Outgoing(uuid4(), "noop") for _ in range(250)]  # more than one confirm window
    publisher = CeleryPublisher(settings)
    try:
        assert await publisher.publish(jobs) == {}
    finally:
        await publisher.close()
    assert await amqp.depth(settings, queue) == 250


@pytest.mark.parametrize("backend", list(Backend))
async def test_after_a_broker_drop_what_is_confirmed_is_queued(
    settings: Settings, backend: Backend
) -> None:
    publisher = make_publishers(settings)[backend]
    queue = settings.queue_for(backend)
    try:
        await publisher.start()
        assert await publisher.publish([Outgoing(uuid4(), "noop")]) == {}
        await amqp.drop_connections(settings)
        failures: list[str] = []
        with anyio.fail_after(30):  # reconnects within RECONNECT_S, then publishes again
            while True:
                failed = await publisher.publish([Outgoing(uuid4(), "noop")])
                if not failed:
                    break
                failures += failed.values()
                await anyio.sleep(0.1)  # pace the retries; not a synchronisation
    finally:
        await publisher.close()
    assert all(f.startswith("publish failed") for f in failures)
    assert await amqp.depth(settings, queue) == 2  # the one before the drop, the one after


@pytest.mark.parametrize("backend", list(Backend))
async def test_no_confirm_in_time_is_a_failure(settings: Settings, backend: Backend) -> None:
    broker = URL(settings.amqp_url)
    with proxied(broker.host or "127.0.0.1", broker.port or 5672, PROXY_PORT) as proxy:
        stalled = settings.model_copy(
            update={
                "amqp_url": str(broker.with_host("127.0.0.1").with_port(PROXY_PORT)),
                "publish_timeout_s": 1.0,
            }
        )
        publisher = make_publishers(stalled)[backend]
        try:
            await publisher.start()
            proxy.hold()  # RabbitMQ never hears of the message, nor we of a confirm
            job = Outgoing(uuid4(), "noop")
            failed = await publisher.publish([job])
        finally:
            proxy.release()
            await publisher.close()
    assert failed == {job.job_id: "publish failed: no confirm within 1.0 s"}

"""Faults of RabbitMQ, the same for both backends: every client connection closed, its
application restarted, its memory alarm; and poison put on the backend's queue."""

import json
import time

from kombu import Connection

from bench.run.faults.injector import Injector
from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.probes import rabbit
from core.contract import Backend
from core.settings import Settings
from core.topology import celery_exchange

ALARM_WATERMARK = "0.0001"  # of the host's memory: far below what RabbitMQ uses, so it alarms


class BrokerDrop(Injector):
    """Close every client connection at RabbitMQ (API publishers and workers)."""

    name = "broker-drop"

    def strike(self, ctx: FaultContext) -> None:
        closed = rabbit.close_all_connections(ctx.settings, "queuebench fault: broker-drop")
        if closed == 0:
            raise NotStruck("RabbitMQ had no client connection to close")
        ctx.note(
            "every client connection closed" + (f" ({closed})" if closed > 0 else " (rabbitmqctl)")
        )


def poison_messages(settings: Settings, backend: Backend) -> int:
    """Publish malformed and unknown-task messages straight onto the backend's queue."""
    with Connection(settings.amqp_url, connect_timeout=5) as conn:
        producer = conn.Producer()
        if backend is Backend.celery:
            queue = settings.celery_queue
            bad = [
                # Celery protocol 2 headers, but a task no worker knows.
                ({"id": "poison-unknown", "task": "no_such_task", "lang": "py"}, "[[], {}, {}]"),
                # A known task name with a body that is not JSON.
                ({"id": "poison-garbage", "task": "price_order", "lang": "py"}, "{not json"),
            ]
            for headers, body in bad:
                producer.publish(
                    body,
                    routing_key=queue,
                    exchange=celery_exchange(queue),
                    headers=headers,
                    content_type="application/json",
                    content_encoding="utf-8",
                    serializer=None,
                )
        else:
            queue, exchange = settings.taskiq_queue, settings.taskiq_exchange
            unknown = {
                "task_id": "poison-unknown",
                "task_name": "no_such_task",
                "labels": {},
                "args": [],
                "kwargs": {},
            }
            for body in (json.dumps(unknown), "{not json"):
                producer.publish(body, routing_key=queue, exchange=exchange, serializer=None)
    return 2


class Poison(Injector):
    """Malformed and unknown-task messages put on the cell's backend's queue."""

    name = "poison"

    def strike(self, ctx: FaultContext) -> None:
        n = poison_messages(ctx.settings, ctx.backend)
        ctx.note(f"{n} poison messages published (unknown task, malformed body)")


class BrokerRestart(Injector):
    """RabbitMQ's application stopped and started again: every connection drops, nothing
    is accepted while it is down, and every client must reconnect by itself."""

    name = "broker-restart"

    def strike(self, ctx: FaultContext) -> None:
        down_s = self.spec.lasts_s
        rabbit.restart(ctx.settings, down_s)
        ctx.note(f"rabbitmqctl stop_app, {down_s:g} s down, start_app")


class BrokerAlarm(Injector):
    """RabbitMQ's memory alarm: it blocks every connection that publishes; consumers go on."""

    name = "broker-alarm"

    def strike(self, ctx: FaultContext) -> None:
        alarm_s = self.spec.lasts_s
        before = rabbit.memory_watermark(ctx.settings)
        rabbit.set_memory_watermark(ctx.settings, ALARM_WATERMARK)
        try:
            time.sleep(alarm_s)  # the alarm's length, as scheduled
        finally:
            rabbit.set_memory_watermark(ctx.settings, before)
        ctx.note(f"memory alarm for {alarm_s:g} s (watermark {ALARM_WATERMARK}, then {before})")

"""Celery's worker consumer with one fix: it comes back after a silent connection.

When the broker connection goes silent (a dead host, NAT entry or balancer flow: no FIN, no
RST), the AMQP heartbeat notices and the consumer restarts. Its Events step then closes the
old event dispatcher's connection with the AMQP close handshake, which waits for the
broker's reply with no timeout: on a silent connection, forever, and the worker never
consumes again (Celery 5.7; tests/e2e/test_silent_connection.py). Here the old connection
is dropped without the handshake first. Selected by `worker_consumer` (workers_celery/app.py).
"""

from celery.worker import consumer
from kombu.common import ignore_errors


class Consumer(consumer.Consumer):
    def on_close(self) -> None:
        """After a lost connection, before the steps restart: drop the event dispatcher's
        connection without the close handshake (it closes the socket)."""
        dispatcher = getattr(self, "event_dispatcher", None)  # set by the Events step
        if dispatcher is not None and dispatcher.connection:
            ignore_errors(dispatcher.connection, dispatcher.connection.collect)
        super().on_close()

"""Faults of the network between the clients and RabbitMQ, struck at a proxy the cell's
clients connect through (bench/run/processes/netdelay.py FaultProxy): their connections go
silent, or the workers' are cut while they hold prefetched, unacknowledged messages. The
strike then waits, up to the fault's bound, for each group of clients to connect again."""

import time
from typing import TYPE_CHECKING, ClassVar

from bench.run.faults.injector import Injector
from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.probes import amqp
from bench.run.wait import within
from core.contract import JobStatus

if TYPE_CHECKING:  # a run's parts, reached through its context: no import of a layer above
    from bench.run.context import Context
    from bench.run.processes.netdelay import FaultProxy

BURST_PER_SLOT = 2  # reconnect-with-prefetch: jobs posted per message the workers may hold
HELD_WAIT_S = 15.0  # for the workers to fill their prefetch, before the cut


class ThroughProxy(Injector):
    """A fault whose cell's clients (GROUPS) reach RabbitMQ through the fault proxy."""

    GROUPS: ClassVar[tuple[str, ...]]
    proxy: "FaultProxy | None" = None

    def prepare(self, ctx: "Context") -> None:
        self.proxy = ctx.fault_proxy(self.GROUPS)
        self.proxy.start()

    def finish(self, ctx: "Context") -> None:
        if self.proxy is not None:
            self.proxy.stop()
        self.proxy = None

    def routed(self, group: str) -> dict[str, str]:
        return self.proxy.env(group) if self.proxy is not None else {}

    def worker_env(self) -> dict[str, str]:
        return super().worker_env() | self.routed("workers")

    def hit(self, ctx: FaultContext, how: str) -> int:
        """Silence or cut every connection through the proxy; how many there were. Then
        wait, up to the bound, for each group's first new connection."""
        assert self.proxy is not None, "prepare() first"
        ctx.struck()
        n, at = self.proxy.strike(how)
        if n == 0:
            raise NotStruck("no client connection went through the proxy")
        proxy, bound = self.proxy, self.spec.notice_bound_s
        deadline = time.monotonic() + bound
        for group in self.GROUPS:
            left = max(0.0, deadline - time.monotonic())
            back = within(lambda g=group: proxy.back_at(g, at), left, 0.1)  # type: ignore[misc]
            ctx.timing(f"{group}: first reconnect", back, bound)
        return n


class SilentConnection(ThroughProxy):
    """Every AMQP connection of the workers and the API goes silent: no FIN, no RST, nothing
    forwarded, as when the flow behind a balancer or NAT vanishes; new connections work.
    The clients' own TCP peer (the proxy) still acknowledges what they send, as a balancer
    does, so TCP keepalive cannot notice: only the AMQP heartbeat (AMQP_HEARTBEAT_S)."""

    name = "silent-connection"
    GROUPS = ("workers", "api")

    def api_env(self) -> dict[str, str]:
        return self.routed("api")

    def strike(self, ctx: FaultContext) -> None:
        n = self.hit(ctx, "silence")
        ctx.note(f"{n} AMQP connection(s) of the workers and the API went silent")


class ReconnectWithPrefetch(ThroughProxy):
    """The workers' AMQP connections cut while they hold more messages than they run
    (prefetched, unacknowledged): taskiq-aio-pika #46 says a Taskiq worker then fails every
    ack for ever and stops taking tasks. Checked for Celery's pools too."""

    name = "reconnect-with-prefetch"
    GROUPS = ("workers",)

    def strike(self, ctx: FaultContext) -> None:
        s = ctx.settings
        burst = BURST_PER_SLOT * s.worker_processes * max(s.prefetch, s.worker_slots)
        ctx.run.services.post_backlog(ctx.cell, ctx.run_id, burst)
        held = within(lambda: held_by_workers(ctx), HELD_WAIT_S, 0.05)
        if not held:
            raise NotStruck(f"the workers held no prefetched message within {HELD_WAIT_S:g} s")
        n = self.hit(ctx, "cut")
        ctx.note(f"{burst} jobs posted at once; {n} worker connection(s) cut holding "
                 f"{held} unacknowledged message(s), running or prefetched")  # fmt: skip


def held_by_workers(ctx: FaultContext) -> int:
    """Messages delivered to the workers and not yet acknowledged, while more wait in the
    queue (so every worker holds its whole prefetch): the jobs queued or running, less
    those still ready in the queue. 0 until the queue has some left over."""
    ready, _ = amqp.counts(ctx.settings.amqp_url, ctx.settings.queue_for(ctx.backend))
    db, run = ctx.run.db, ctx.run_id
    waiting = db.count_status(JobStatus.queued, run) + db.count_status(JobStatus.running, run)
    return max(0, waiting - ready) if ready > 0 else 0

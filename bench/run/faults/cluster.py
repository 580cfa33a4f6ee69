"""The loss of a RabbitMQ cluster node: the node that leads the cell's queue killed under
load (`docker kill`: SIGKILL, no goodbye to its peers or clients), the new leader awaited,
then the node started again after the fault's length and awaited back in the cluster and
online for the queue. The nodes are the containers RABBITMQ_NODES names (bench/run/probes/
cluster.py); rabbitmqctl runs on a surviving one (a request through the balancer could
still reach the dead node)."""

import time

from bench.run.faults.injector import Injector
from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.probes.cluster import DOCKER_TIMEOUT_S, docker, elected, nodes, queue_state, rejoined
from bench.run.wait import within

REJOIN_BOUND_S = 120.0  # a restarted node syncs its quorum queues before it is online


class NodeLoss(Injector):
    """Kill the node leading the cell's queue; the quorum queue elects a leader among the
    rest and the clients connected to the dead node reconnect (through the balancer)."""

    name = "node-loss"

    def strike(self, ctx: FaultContext) -> None:
        queue, found = ctx.settings.queue_for(ctx.backend), nodes(ctx.settings)
        leader = queue_state(next(iter(found.values())), queue)["leader"]
        if leader not in found:
            raise NotStruck(f"{queue}'s leader {leader} is not one of RABBITMQ_NODES")
        victim = found[leader]
        survivor = next(c for n, c in found.items() if n != leader)
        ctx.struck()
        docker("kill", victim)
        try:  # the node is started again whatever happens while it is down
            bound = self.spec.notice_bound_s
            new = within(lambda: elected(survivor, queue, leader), bound, 0.2)
            ctx.timing("new leader", new[1] if new else None, bound)
            elected_as = f"new leader {new[0]}" if new else f"no new leader within {bound:g} s"
            ctx.note(f"docker kill {victim} ({leader}, {queue}'s leader); {elected_as}")
            time.sleep(max(0.0, ctx.wall_fault + self.spec.lasts_s - time.time()))
        finally:
            docker("start", victim)
        ctx.timing("node started", time.time(), DOCKER_TIMEOUT_S)
        back = within(lambda: rejoined(survivor, queue, leader), REJOIN_BOUND_S, 0.5)
        ctx.timing("node rejoined", back, REJOIN_BOUND_S)
        ctx.note(f"docker start after {self.spec.lasts_s:g} s; " + (
            f"{leader} back in the cluster and online for {queue}" if back
            else f"{leader} NOT back within {REJOIN_BOUND_S:g} s"))  # fmt: skip

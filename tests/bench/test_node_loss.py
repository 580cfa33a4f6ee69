"""The harness's node-loss fault on a real three-node RabbitMQ 4 cluster behind HAProxy
(scripts/cluster_broker.sh: the compose cluster overlay, on the Docker engine): in its cell
the node leading the job queue is killed under load, the queue gets a new leader, jobs
accepted after the kill complete within RESUME_BOUND_S, the node rejoins when started
again, and nothing accepted is lost. Without RABBITMQ_NODES the fault is not run, and the
run says why.

The harness's injection and measurement are the same for every variant: this runs one,
Celery's threads pool, to keep CI's time. tests/test_compose_cluster.py kills the node
leading Taskiq's queue under both backends' deployed workers (Celery prefork's own queue may
keep its leader there); `python -m bench run standard --faults node-loss` (README, "The
broker") measures all three variants, each with its own queue's leader killed."""

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.run.probes import cluster
from bench.spec.faults import BY_NAME
from bench.summary import Summary
from core.settings import Settings
from tests.helpers import compose
from tests.helpers.processes import ROOT

problem = compose.engine_problem()
pytestmark = [
    pytest.mark.skipif(problem is not None, reason=f"compose engine tests: {problem}"),
    pytest.mark.timeout(900),  # the cluster's start, a fault cell of 45 s and its drain
]
VARIANTS = ("celery-threads",)
RESUME_BOUND_S = 60.0
SCRIPT = Path(ROOT) / "scripts" / "cluster_broker.sh"


def exports(text: str) -> dict[str, str]:
    """The `export K=V` lines a script printed, as a dict."""
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            found[key] = " ".join(shlex.split(value))
    return found


@pytest.fixture(scope="module")
def cluster_env() -> Iterator[dict[str, str]]:
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=300)
    try:
        assert done.returncode == 0, done.stderr[-3000:]
        print(done.stderr.strip().splitlines()[-1])  # "cluster up in N s: ..."
        yield exports(done.stdout)
    finally:
        subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=300)


def test_without_nodes_the_fault_says_how_to_get_them() -> None:
    said = cluster.problem(Settings(rabbitmq_nodes=()))
    assert said is not None and "RABBITMQ_NODES" in said and "cluster_broker.sh" in said


@pytest.fixture(scope="module")
def summary(
    tmp_path_factory: pytest.TempPathFactory, engine: AsyncEngine, cluster_env: dict[str, str]
) -> Summary:
    """`engine`: the test database is migrated first."""
    nodes = tuple(cluster_env["RABBITMQ_NODES"].split(","))
    assert cluster.problem(Settings(rabbitmq_nodes=nodes)) is None
    results = tmp_path_factory.mktemp("results")
    cmd = [sys.executable, "-m", "bench", "run", "tiny", "--results", str(results),
           "--models", "none", "--faults", "node-loss", "--variants", ",".join(VARIANTS),
           "--api-port", "18004", "--stub-port", "18095"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=os.environ | cluster_env, capture_output=True,
                          text=True, timeout=1000)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(done.stdout[-3000:])
    [run] = list(results.iterdir())
    return Summary.load(run)


def test_the_leader_is_killed_a_new_one_elected_and_the_node_rejoins(summary: Summary) -> None:
    cells = [c for c in summary.cells if c.fault is not None]
    assert sorted(c.variant for c in cells) == sorted(VARIANTS)
    bound = BY_NAME["node-loss"].notice_bound_s
    for cell in cells:
        f = cell.fault
        assert f is not None and cell.valid, (cell.variant, cell.flags)
        where = f"{cell.variant}: {f.notes} {f.timings}"
        new, started, rejoined = (f.timings.get(k) for k in
                                  ("new leader", "node started", "node rejoined"))  # fmt: skip
        assert new is not None and 0 < new <= bound, where
        assert started is not None and rejoined is not None and rejoined >= started, where
        assert f.resumed_s is not None and f.resumed_s <= RESUME_BOUND_S, where
        assert cell.lost == 0 and f.left_in_queue == 0 and f.consuming_after, where
        assert cell.accepted > 0 and cell.done == cell.accepted, where

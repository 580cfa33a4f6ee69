"""The cluster overlay (docker-compose.cluster.yml) on a real Docker engine: three RabbitMQ 4
nodes cluster by configuration behind HAProxy, every job and dead-letter queue is a quorum
queue on all three, the API and both workers run jobs through it, and when the node that
leads the job queues is killed under load nothing accepted is lost, a new leader is
elected, work resumes, and the node rejoins when it comes back."""

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import compose
from tests.helpers.compose import Project
from tests.test_compose_engine import QUEUES, images, run_jobs, wait_consumers

problem = compose.engine_problem()
pytestmark = pytest.mark.skipif(problem is not None, reason=f"compose engine tests: {problem}")
FILES = ("docker-compose.yml", "docker-compose.cluster.yml")
NODES = ("rabbit-1", "rabbit-2", "rabbit-3")
RESUME_BOUND_S = 60.0
__all__ = ["images"]  # the module fixture that builds the images once


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, images: None) -> Iterator[Project]:
    tmp = tmp_path_factory.mktemp("cluster")
    with compose.project(tmp, FILES, WORKER_SLOTS="8", RABBITMQ_COOKIE="cluster-test-only") as p:
        seconds = p.up(["celery", "taskiq"])
        print(
            f"\ncluster: compose up --wait (3 nodes, HAProxy, API, both workers): {seconds:.0f} s"
        )
        yield p


def ctl(p: Project, node: str, *args: str) -> str:
    return p.run("exec", "-T", node, *args, timeout=120)


def running_nodes(p: Project, node: str = "rabbit-1") -> list[str]:
    status = json.loads(ctl(p, node, "rabbitmqctl", "-q", "cluster_status", "--formatter", "json"))
    return sorted(status["running_nodes"])


def queue_info(p: Project, queue: str) -> dict[str, Any]:
    with p.management() as api:
        response = api.get(f"/api/queues/%2F/{queue}")
    response.raise_for_status()
    info: dict[str, Any] = response.json()
    return info


def test_three_nodes_cluster_and_every_queue_has_three_members(cluster: Project) -> None:
    assert running_nodes(cluster) == [f"rabbit@{n}" for n in NODES]
    for queue in QUEUES.values():
        wait_consumers(cluster, queue, 1)
        for name in (queue, f"{queue}.dead_letter", f"{queue}.dead_letter.recovery"):
            info = queue_info(cluster, name)
            assert info["type"] == "quorum", name
            assert sorted(info["members"]) == [f"rabbit@{n}" for n in NODES], info
            print(f"{name}: leader {info['leader']}, members {', '.join(info['members'])}")
    for backend in QUEUES:
        rows = run_jobs(cluster, backend, [{"task": "sales_report"}])
        assert [r["status"] for r in rows] == ["done"], rows


class Load:
    """POSTs one job a second per backend in a thread; counts what was accepted and refused."""

    def __init__(self, api: str) -> None:
        self.api, self.refused = api, 0
        self.accepted: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.api, timeout=30) as client:
            while not self.stop.wait(0.5):
                for backend in QUEUES:
                    try:
                        r = client.post("/jobs", json={"backend": backend, "task": "sales_report"})
                    except httpx.HTTPError:
                        self.refused += 1
                        continue
                    if r.status_code == 202:
                        self.accepted.append(r.json()["id"])
                    else:
                        assert r.status_code == 503, r.text
                        self.refused += 1


def statuses(p: Project, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with httpx.Client(base_url=p.api, timeout=30) as client:
        for job_id in ids:
            status = client.get(f"/jobs/{job_id}").json()["status"]
            counts[status] = counts.get(status, 0) + 1
    return counts


def wait_all_done(p: Project, ids: list[str], limit_s: float) -> dict[str, int]:
    deadline = time.monotonic() + limit_s
    while (counts := statuses(p, ids)).get("done", 0) < len(ids):
        if time.monotonic() > deadline:
            return counts
        time.sleep(1)
    return counts


def test_losing_the_leading_node_loses_no_job(cluster: Project) -> None:
    leader = queue_info(cluster, QUEUES["taskiq"])["leader"].split("@")[1]
    load = Load(cluster.api)
    load.thread.start()
    time.sleep(5)  # jobs flowing before the node dies
    container = f"{cluster.name}-{leader}-1"
    subprocess.run(["docker", "kill", container], check=True, capture_output=True, timeout=60)
    killed_at = time.monotonic()
    try:
        survivor = next(n for n in NODES if n != leader)
        deadline = killed_at + RESUME_BOUND_S
        while (new := queue_info(cluster, QUEUES["taskiq"])["leader"]) == f"rabbit@{leader}":
            assert time.monotonic() < deadline, "no new leader"
            time.sleep(0.5)
        elected_s = time.monotonic() - killed_at
        before = len(load.accepted)
        while len(load.accepted) < before + 4:
            assert time.monotonic() < deadline, f"no job accepted for {RESUME_BOUND_S} s"
            time.sleep(0.2)
        fresh = load.accepted[before:]
        counts = wait_all_done(cluster, fresh, RESUME_BOUND_S)
        assert counts.get("done", 0) == len(fresh), counts
        resumed_s = time.monotonic() - killed_at
        print(
            f"\nnode-loss ({leader}): new leader {new} after {elected_s:.1f} s; accepted jobs "
            f"done again after {resumed_s:.1f} s; {load.refused} POST(s) refused meanwhile"
        )
    finally:
        subprocess.run(["docker", "start", container], check=True, capture_output=True, timeout=60)
    deadline = time.monotonic() + 180
    while running_nodes(cluster, survivor) != [f"rabbit@{n}" for n in NODES]:
        assert time.monotonic() < deadline, "the node did not rejoin"
        time.sleep(2)
    load.stop.set()
    load.thread.join(60)
    counts = wait_all_done(cluster, load.accepted, 180)
    print(f"after the node rejoined: {len(load.accepted)} accepted, {counts}")
    assert counts == {"done": len(load.accepted)}, "an accepted job was lost or failed"
    info = queue_info(cluster, QUEUES["taskiq"])
    assert f"rabbit@{leader}" in info["members"] and len(info["members"]) == 3, info

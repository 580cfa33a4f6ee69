"""Settings a deployment gets wrong are refused with one line naming the fix."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from core.settings import Settings, refused
from tests.helpers.processes import ROOT


def refusal(**env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**env)  # type: ignore[arg-type]
    line = refused(caught.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize("heartbeat", ["0", "10", "600"])
def test_a_heartbeat_off_or_past_the_bound_is_refused(heartbeat: str) -> None:
    line = refusal(amqp_heartbeat_s=heartbeat)
    assert line.startswith("error: bad settings: AMQP_HEARTBEAT_S:")
    assert "give 1 to 9" in line and "30 s" in line


@pytest.mark.parametrize(
    "urls", ["rabbit-1:5672", "amqp://a:b@rabbit-1/,http://rabbit-2:15672", "amqp:///"]
)
def test_a_malformed_failover_list_is_refused(urls: str) -> None:
    line = refusal(amqp_failover_urls=urls)
    assert line.startswith("error: bad settings: AMQP_FAILOVER_URLS:")
    assert "amqp://user:password@host:5672/" in line


def test_the_failover_list_is_celerys_broker() -> None:
    nodes = "amqp://u:p@rabbit-1:5672/, amqp://u:p@rabbit-2:5672/"
    settings = Settings(amqp_failover_urls=nodes)
    assert settings.celery_broker_urls == ["amqp://u:p@rabbit-1:5672/", "amqp://u:p@rabbit-2:5672/"]
    assert Settings(amqp_failover_urls="").celery_broker_urls == [Settings().amqp_url]


def test_every_aio_pika_connection_gets_the_heartbeat() -> None:
    settings = Settings(amqp_url="amqp://u:p@h:5672/v?heartbeat=60&name=x", amqp_heartbeat_s=4)
    assert settings.amqp_connect_url == "amqp://u:p@h:5672/v?name=x&heartbeat=4"


def test_a_worker_started_with_a_bad_heartbeat_says_so_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workers_taskiq"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "AMQP_HEARTBEAT_S": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().startswith("error: bad settings: AMQP_HEARTBEAT_S:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_cluster_nodes_for_node_loss_are_a_comma_list() -> None:
    nodes = Settings(rabbitmq_nodes=" n-1, n-2 ,n-3,")
    assert nodes.rabbitmq_nodes == ("n-1", "n-2", "n-3")

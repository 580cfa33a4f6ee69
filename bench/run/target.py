"""What a run drives: the settings every process it starts reads, and where the API is."""

from dataclasses import dataclass

from core.settings import Settings


@dataclass
class Target:
    api_url: str
    settings: Settings
    external: bool  # a deployment the harness did not start: it starts and purges nothing
    api_port: int = 8000
    stub_port: int = 8090
    locust_workers: int = 0  # >0: Locust runs as a master with this many worker processes
    proxy_port: int = 15400  # network cells: the delay proxy listens here and on the next two

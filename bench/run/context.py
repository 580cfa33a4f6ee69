"""What every cell of a run shares: the settings, the profile, the processes, the jobs
table, the stub and API, the workers, and a sampler for each cell."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.raw import Cell
from bench.run.probes.jobsdb import JobsDB
from bench.run.probes.sampler import Sampler
from bench.run.processes.netdelay import FaultProxy
from bench.run.processes.services import Services
from bench.run.processes.supervisor import Processes
from bench.run.processes.workers import Workers
from bench.run.target import Target
from bench.spec.profiles import Profile
from core.settings import Settings

Phase = Callable[[str], None]  # what the cell is doing now, for the progress line
FAULT_PROXY_OFFSET = 10  # the fault proxy listens this far above the delay proxy's ports
UNOWNED = "not measured here: a deployment's process, which an --external run does not see"


@dataclass
class Context:
    profile: Profile
    target: Target
    procs: Processes
    db: JobsDB
    services: Services
    workers: Workers

    @property
    def settings(self) -> Settings:
        return self.target.settings

    def fault_proxy(self, groups: tuple[str, ...]) -> FaultProxy:
        """A proxy in front of RabbitMQ for a fault cell's clients, a port per group."""
        port = self.target.proxy_port + FAULT_PROXY_OFFSET
        return FaultProxy(self.procs, self.settings, port, groups)

    def component_pids(self) -> dict[str, list[int]]:
        """Root pids per component ("workers.0" and "workers.1" are "workers")."""
        pids: dict[str, list[int]] = {}
        for name, proc in list(self.procs.running.items()):
            if proc.poll() is None:
                pids.setdefault(name.partition(".")[0], []).append(proc.pid)
        return pids

    def sampler(self, cell: Cell, cell_dir: Path) -> Sampler:
        queue = self.settings.queue_for(cell.backend)
        unowned = dict.fromkeys(("api", "workers"), UNOWNED) if self.target.external else {}
        return Sampler(
            cell_dir, self.component_pids, self.settings.amqp_url, queue, unowned=unowned
        )

"""Every fault's injector, keyed by its name in bench/spec/faults.py (a test holds the two
to each other): what the runner asks about a cell's fault, never the fault's name."""

from bench.raw import Cell
from bench.run.faults.broker import BrokerAlarm, BrokerDrop, BrokerRestart, Poison
from bench.run.faults.cluster import NodeLoss
from bench.run.faults.connections import ReconnectWithPrefetch, SilentConnection
from bench.run.faults.database import DbDrop, DbRestart, JobHang
from bench.run.faults.injector import Injector
from bench.run.faults.kills import ApiKill, GracefulStop, WorkerKill, WorkerKillParent

ALL: tuple[Injector, ...] = (
    WorkerKill(), WorkerKillParent(), GracefulStop(), ApiKill(),
    BrokerDrop(), Poison(), BrokerRestart(), BrokerAlarm(),
    DbDrop(), DbRestart(), JobHang(),
    SilentConnection(), ReconnectWithPrefetch(), NodeLoss(),
)  # fmt: skip
INJECTORS = {i.name: i for i in ALL}


def of(cell: Cell) -> Injector | None:
    """The cell's fault, None if it has none."""
    return INJECTORS[cell.fault] if cell.fault is not None else None


def run_env() -> dict[str, str]:
    """What every process of a run reads for the faults' sake: for every fault, whichever
    the profile carries, as the harness always has (one API serves every cell)."""
    return {k: v for i in ALL for k, v in i.run_env.items()}

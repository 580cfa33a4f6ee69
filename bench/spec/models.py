"""Load models and cell purposes: what a cell does, and what it is for."""

from enum import StrEnum


class Model(StrEnum):
    drain = "drain"  # a prefilled backlog, then the workers: pure worker throughput
    closed = "closed"  # N users, each posts a job and waits for it
    open = "open"  # fixed arrival rates
    # Poisson arrivals at a share of the slower variant's drain rate in this run; the
    # generator never waits for an answer (bench/run/loads/locustfile.py PoissonUser)
    latency = "latency"
    enqueue = "enqueue"  # no workers: one API process's accept rate, 16 users back to back
    enqueue_rate = "enqueue-rate"  # no workers: the API at fixed arrival rates
    fault = "fault"  # a steady open load with one fault a third of the way in
    jobcost = "jobcost"  # a scenario's job run in one process, no queue

    @property
    def producer(self) -> bool:
        """Runs no worker: what publishing costs the API."""
        return self in (Model.enqueue, Model.enqueue_rate)

    @property
    def offered_rate(self) -> bool:
        """The load is an arrival rate (jobs/s), not a number of users."""
        return self in (Model.open, Model.latency, Model.enqueue_rate, Model.fault)


# The models a profile may list (faults and job cost are cells of their own).
PROFILE_MODELS = (
    Model.drain, Model.closed, Model.open, Model.latency, Model.enqueue, Model.enqueue_rate,
)  # fmt: skip
ORDER = {m: n for n, m in enumerate(Model)}


class Purpose(StrEnum):
    main = "main"  # an answer cell
    calibration = "calibration"  # the harness's own cost
    sweep = "sweep"  # the prefetch sweep
    enqueue = "enqueue"  # the producer side
    fault = "fault"  # delivery under a fault
    network = "network"  # a drain with the workers behind the delay proxy, at an RTT
    tune = "tune"  # a drain (or latency cell) of one configuration of the tune's search
    scale = "scale"  # a drain at a number of worker processes, or the API at a number of its own

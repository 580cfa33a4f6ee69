"""Workloads are data: a scenario is a task (or a mix) and a payload generator, with
its defaults per load model."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PayloadGen = Callable[[random.Random], tuple[str, dict[str, Any]]]
SKUS = [f"SKU-{n:03d}" for n in range(40)]
PRICES = {sku: f"{(n * 37) % 9000 / 100 + 0.99:.2f}" for n, sku in enumerate(SKUS)}


def price_order(rng: random.Random) -> tuple[str, dict[str, Any]]:
    skus = rng.sample(SKUS, rng.randint(1, 5))
    items = [{"sku": s, "qty": rng.randint(1, 9)} for s in skus]
    return "price_order", {"items": items, "prices": {s: PRICES[s] for s in skus}}


def sales_report(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "sales_report", {"window_minutes": rng.choice([15, 60, 240])}


def fetch_rates(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "fetch_rates", {"symbols": ["USD", "GBP", "JPY"], "latency_ms": 100}


def render_invoice(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "render_invoice", {"lines": 40, "rounds": 20_000}


def noop(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "noop", {}


def sleep(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "sleep", {"ms": 100}


def fault_mix(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """price_order and fetch_rates (50 ms call) alternating; the fault cells' workers
    hold every transaction 200 ms (TEST_HOLD_MS), so faults find jobs in flight, and
    a redelivered fetch_rates repeats its external call."""
    if rng.random() < 0.5:
        return price_order(rng)
    return "fetch_rates", {"symbols": ["USD", "GBP"], "latency_ms": 50}


def mixed(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """A plausible production mix: mostly writes and calls, some reports and renders."""
    gen = rng.choices([price_order, fetch_rates, sales_report, render_invoice], [5, 3, 1, 1])[0]
    return gen(rng)


@dataclass(frozen=True)
class Scenario:
    name: str
    generate: PayloadGen
    description: str
    drain_rate: float  # jobs/s a fast worker profile may reach: sizes the first backlog
    closed_users: int  # concurrent users for the closed model
    open_rates: tuple[float, ...]  # arrival rates (jobs/s), stepped upward


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("noop", noop, "probe: the lifecycle alone", 450, 16, (100, 200, 400)),
        Scenario("sleep", sleep, "probe: an awaited 100 ms sleep, no I/O", 450, 32, (40, 160)),
        Scenario(
            "price_order",
            price_order,
            "DB write: order + items, exact totals",
            400,
            16,
            (50, 100, 200, 400),
        ),
        Scenario(
            "sales_report", sales_report, "DB read: aggregate per SKU, upsert", 150, 16, (20, 80)
        ),
        Scenario(
            "fetch_rates",
            fetch_rates,
            "external HTTP call, 100 ms latency",
            400,
            32,
            (10, 40, 160, 320),
        ),
        Scenario(
            "render_invoice", render_invoice, "CPU: render + 20k hash rounds", 150, 8, (10, 40, 80)
        ),
        Scenario(
            "fault_mix",
            fault_mix,
            "price_order + fetch_rates, 200 ms held transactions (faults)",
            100,
            8,
            (8,),
        ),
        Scenario("mixed", mixed, "5:3:1:1 price/fetch/report/render", 300, 16, (20, 60, 120, 240)),
    ]
}

PROBES = ("noop", "sleep")  # the queue path's own cost (bench_service/jobs.py), not jobs
JOBS = ("price_order", "sales_report", "fetch_rates", "render_invoice")
NETWORK_SCENARIOS = (*PROBES, *JOBS)  # drained at a distance (the network cells)
ENQUEUE_SCENARIO = "price_order"
ENQUEUE_RATES = (200.0, 400.0, 800.0)


def jobs_path(task: str) -> str:
    """Where the API takes a task's jobs: the probes have a route of the benchmark's own
    (bench_service/api.py), apart from the four jobs' /jobs."""
    return "/probes" if task in PROBES else "/jobs"

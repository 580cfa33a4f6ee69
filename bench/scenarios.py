"""Workloads are data: a scenario is a task (or a mix), a payload generator and
per-model defaults; a profile is a matrix of variants x scenarios x models."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.contract import Backend

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
    drain_jobs: int  # backlog prefilled for the drain model
    closed_users: int  # concurrent users for the closed model
    open_rates: tuple[float, ...]  # arrival rates (jobs/s), stepped upward


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "price_order",
            price_order,
            "DB write: order + items, exact totals",
            1500,
            16,
            (50, 100, 200, 400),
        ),
        Scenario(
            "sales_report",
            sales_report,
            "DB read: aggregate per SKU, upsert",
            600,
            16,
            (20, 40, 80, 160),
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
            "render_invoice",
            render_invoice,
            "CPU: render + 20k hash rounds",
            300,
            8,
            (10, 20, 40, 80),
        ),
        Scenario(
            "fault_mix",
            fault_mix,
            "price_order + fetch_rates, 200 ms held transactions (faults)",
            200,
            8,
            (8,),
        ),
        Scenario("mixed", mixed, "5:3:1:1 price/fetch/report/render", 800, 16, (20, 60, 120, 240)),
    ]
}

VARIANTS = ("celery", "celery-naive", "celery-asyncio_run", "taskiq")
MODELS = ("drain", "closed", "open")
FAULT_SCENARIO = "fault_mix"
FAULT_HOLD_MS = 200


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    variants: tuple[str, ...]
    scenarios: tuple[str, ...]
    models: tuple[str, ...]
    reps: int = 1
    duration_s: float = 8.0  # measured load per closed/open cell, after warm-up
    warmup_s: float = 2.0
    drain_scale: float = 1.0  # multiplies each scenario's drain_jobs
    users: tuple[int, ...] = ()  # closed-model users; empty: the scenario's default
    rates: tuple[float, ...] = ()  # open-model rates; empty: the scenario's defaults
    faults: tuple[str, ...] = ()  # fault cells: fault_mix at fault_rate, one fault each
    fault_rate: float = 8.0  # jobs/s offered during a fault cell
    fault_duration_s: float = 15.0  # the fault strikes a third of the way in


BASIC = ("price_order", "sales_report", "fetch_rates", "render_invoice")
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile(
            "quick",
            "both backends, four tasks, drain + closed, one repetition (about 6 minutes)",
            ("celery", "taskiq"),
            BASIC,
            ("drain", "closed"),
            drain_scale=0.5,
            faults=("worker-kill",),
            fault_duration_s=12.0,
        ),
        Profile(
            "full",
            "all variants, mixed scenario, open sweep, every fault, 3 reps (about 3 hours)",
            VARIANTS,
            (*BASIC, "mixed"),
            MODELS,
            reps=3,
            duration_s=20.0,
            warmup_s=5.0,
            faults=(
                "worker-kill",
                "worker-kill-parent",
                "broker-drop",
                "db-drop",
                "graceful-stop",
                "poison",
            ),
            fault_duration_s=30.0,
        ),
        Profile(
            "tiny",
            "CI smoke: both backends, price_order drain + closed, one worker-kill",
            ("celery", "taskiq"),
            ("price_order",),
            ("drain", "closed"),
            duration_s=3.0,
            warmup_s=1.0,
            drain_scale=0.1,
            users=(4,),
            faults=("worker-kill",),
            fault_duration_s=6.0,
        ),
    ]
}


def backend_of(variant: str) -> Backend:
    """'celery-naive' -> celery; 'taskiq' -> taskiq."""
    return Backend(variant.partition("-")[0])

"""sales_report aggregates the same fixed dataset in every cell: two drains of it in a row,
with a price_order drain (which adds orders) before each, see the same orders."""

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.run.probes.jobsdb import DATASET_ORDERS
from tests.helpers.processes import ROOT

SEEN = """
    SELECT split_part(run_id, '.', 2) AS cell, result->>'orders' AS orders, count(*)
    FROM jobs WHERE run_id LIKE :run AND task = 'sales_report' AND status = 'done'
    GROUP BY 1, 2 ORDER BY 1"""


async def test_two_sales_report_drains_in_a_row_see_the_same_orders(
    tmp_path: object, engine: AsyncEngine
) -> None:
    cmd = [sys.executable, "-m", "bench", "run", "tiny", "--results", str(tmp_path)]
    cmd += ["--scenarios", "price_order,sales_report", "--models", "drain", "--reps", "2"]
    cmd += ["--variants", "taskiq", "--faults", "none", "--api-port", "18000"]
    cmd += ["--stub-port", "18091"]
    done = await asyncio.to_thread(
        subprocess.run, cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [run] = os.listdir(str(tmp_path))
    async with engine.connect() as c:
        rows = (await c.execute(text(SEEN), {"run": f"{run}.%"})).all()
    # Cells 0-3: price_order r0, sales_report r0, price_order r1, sales_report r1.
    assert [(cell, orders) for cell, orders, _ in rows] == [
        ("001", str(DATASET_ORDERS)),
        ("003", str(DATASET_ORDERS)),
    ], rows
    assert all(n > 0 for *_, n in rows)

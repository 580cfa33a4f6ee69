"""SQL on the jobs table: the source of truth for every figure in the report."""

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.engine import make_url

from bench.raw import JOB_COLUMNS, write_rows
from core.contract import UNFINISHED

DATASET_ORDERS = 2000  # sales_report's fixed dataset (about 5000 order lines)
SEED_ORDERS = """
    INSERT INTO orders (job_id, customer, subtotal, tax, total, created_at)
    SELECT md5('queuebench-dataset-' || i)::uuid, 'dataset', 0, 0, 0,
           clock_timestamp() - make_interval(secs => i % 600)
    FROM generate_series(1, :n) AS i"""
SEED_ITEMS = """
    INSERT INTO order_items (order_id, sku, qty, unit_price, line_total)
    SELECT o.id, 'SKU-' || ((o.id * 31 + j) % 50), 1 + (o.id + j) % 5,
           1 + ((o.id * 17 + j * 13) % 1000) / 10.0,
           (1 + (o.id + j) % 5) * (1 + ((o.id * 17 + j * 13) % 1000) / 10.0)
    FROM orders o, generate_series(0, (o.id % 4)) AS j"""


class JobsDB:
    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(url, pool_size=2, pool_pre_ping=True)

    def reachable(self) -> bool:
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def now(self) -> float:
        """Postgres's clock (the one that stamps the jobs), as epoch seconds."""
        with self.engine.connect() as c:
            return float(c.scalar(text("SELECT extract(epoch FROM clock_timestamp())")))

    def unfinished(self, run_id: str) -> int:
        sql = "SELECT count(*) FROM jobs WHERE run_id = :r AND status IN :unfinished"
        with self.engine.connect() as c:
            stmt = text(sql).bindparams(bindparam("unfinished", expanding=True))
            return int(c.scalar(stmt, {"r": run_id, "unfinished": list(UNFINISHED)}) or 0)

    def check_schema(self) -> None:
        """Fail early, with the fix, when the database is behind this checkout."""
        head = ScriptDirectory.from_config(Config("alembic.ini")).get_current_head()
        try:
            with self.engine.connect() as c:
                current = c.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception as exc:
            msg = f"cannot read the schema version ({exc}); run `make migrate`"
            raise RuntimeError(msg) from exc
        if current != head:
            raise RuntimeError(
                f"the database is at migration {current}, this checkout needs {head}: "
                "run `make migrate` (DATABASE_URL)"
            )

    def first_finish(self, run_id: str) -> float | None:
        """When the run's first job finished (epoch seconds), if one has."""
        sql = text("SELECT extract(epoch FROM min(finished_at)) FROM jobs WHERE run_id = :r")
        with self.engine.connect() as c:
            first = c.scalar(sql, {"r": run_id})
        return float(first) if first is not None else None

    def finished_between(self, run_id: str, start: float, end: float) -> int:
        sql = text(
            "SELECT count(*) FROM jobs WHERE run_id = :r AND status = 'done' "
            "AND finished_at >= to_timestamp(:a) AND finished_at < to_timestamp(:b)"
        )
        with self.engine.connect() as c:
            return int(c.scalar(sql, {"r": run_id, "a": start, "b": end}) or 0)

    def discard_unstarted(self, run_id: str) -> int:
        """Delete the run's jobs no worker started (a timed drain's leftover backlog)."""
        sql = text("DELETE FROM jobs WHERE run_id = :r AND status IN ('publishing', 'queued')")
        with self.engine.begin() as c:
            return int(c.execute(sql, {"r": run_id}).rowcount)

    def count_status(self, status: str, run_id: str | None = None) -> int:
        """Rows with that status (of one run's jobs, if given)."""
        run = " AND run_id = :r" if run_id is not None else ""
        with self.engine.connect() as c:
            sql = text(f"SELECT count(*) FROM jobs WHERE status = :s{run}")
            return int(c.scalar(sql, {"s": status, "r": run_id}) or 0)

    def reset(self) -> None:
        """Empty the job tables, so every run starts from the same data (sales_report's
        cost grows with the orders it aggregates). Saved results keep their own copy."""
        with self.engine.begin() as c:
            c.execute(text("TRUNCATE jobs, order_items, orders, sales_summary, invoices"))

    def seed_orders(self, orders: int = DATASET_ORDERS) -> int:
        """Replace the orders with the same dataset every time (sales_report's cost grows with
        the orders in its window, so each of its cells starts from this one): `orders`
        orders of 1-4 lines over 50 SKUs, values fixed by their index, all created in the
        last 10 minutes (inside the scenario's every window)."""
        with self.engine.begin() as c:
            c.execute(text("TRUNCATE order_items, orders, sales_summary RESTART IDENTITY"))
            c.execute(text(SEED_ORDERS), {"n": orders})
            c.execute(text(SEED_ITEMS))
            return int(c.scalar(text("SELECT count(*) FROM orders")) or 0)

    def export(self, run_id: str, path: Path) -> list[str]:
        """Write the run's per-job rows (times in epoch seconds, Postgres clock) to CSV;
        return the job ids."""
        sql = """
            SELECT id, task, status, attempts, duplicate_deliveries, publishes,
                   extract(epoch FROM enqueued_at), extract(epoch FROM first_started_at),
                   extract(epoch FROM started_at), extract(epoch FROM finished_at),
                   left(error, 200)
            FROM jobs WHERE run_id = :r ORDER BY enqueued_at"""
        with self.engine.connect() as c:
            rows = c.execute(text(sql), {"r": run_id}).all()
        write_rows(path, JOB_COLUMNS, rows)
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        self.engine.dispose()

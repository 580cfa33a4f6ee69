"""SQL on the jobs table: the source of truth for every figure in the report."""

import csv
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

COLUMNS = ["id", "task", "status", "attempts", "enqueued", "started", "finished", "error"]


class JobsDB:
    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(url, pool_size=2, pool_pre_ping=True)

    def now(self) -> float:
        """Postgres's clock (the one that stamps the jobs), as epoch seconds."""
        with self.engine.connect() as c:
            return float(c.scalar(text("SELECT extract(epoch FROM clock_timestamp())")))

    def unfinished(self, run_id: str) -> int:
        sql = "SELECT count(*) FROM jobs WHERE run_id = :r AND status IN ('queued', 'running')"
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), {"r": run_id}) or 0)

    def reset(self) -> None:
        """Empty the job tables, so every run starts from the same data (sales_report's
        cost grows with the orders it aggregates). Saved results keep their own copy."""
        with self.engine.begin() as c:
            c.execute(text("TRUNCATE jobs, order_items, orders, sales_summary, invoices"))

    def duplicates(self, run_id: str) -> int:
        """Effects stored more than once for one job (orders and invoices)."""
        sql = """
            SELECT (SELECT count(*) - count(DISTINCT o.job_id) FROM orders o
                     JOIN jobs j ON j.id = o.job_id WHERE j.run_id = :r)
                 + (SELECT count(*) - count(DISTINCT i.job_id) FROM invoices i
                     JOIN jobs j ON j.id = i.job_id WHERE j.run_id = :r)"""
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), {"r": run_id}) or 0)

    def export(self, run_id: str, path: Path) -> int:
        """Write the run's per-job timings (epoch seconds, Postgres clock) to CSV."""
        sql = """
            SELECT id, task, status, attempts,
                   extract(epoch FROM enqueued_at), extract(epoch FROM started_at),
                   extract(epoch FROM finished_at), left(error, 200)
            FROM jobs WHERE run_id = :r ORDER BY enqueued_at"""
        with self.engine.connect() as c:
            rows = c.execute(text(sql), {"r": run_id}).all()
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            w.writerows(rows)
        return len(rows)

    def close(self) -> None:
        self.engine.dispose()

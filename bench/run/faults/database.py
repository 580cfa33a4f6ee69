"""Faults of Postgres, the same for both backends: the workers' connections cut, the server
restarted, a table locked past the jobs' deadline."""

import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from bench.run.faults.injector import Injector
from bench.run.faults.strike import FaultContext, NotStruck
from bench.run.wait import until
from core.db import WORKER_ROLE


class DbDrop(Injector):
    """Terminate the workers' Postgres backends (found by application_name)."""

    name = "db-drop"

    def strike(self, ctx: FaultContext) -> None:
        sql = text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :role AND datname = current_database()"
        )
        with ctx.run.db.engine.connect() as conn:
            killed = conn.scalar(sql, {"role": WORKER_ROLE})
        if not killed:
            raise NotStruck(f"no Postgres connection with application_name={WORKER_ROLE}")
        ctx.note(f"pg_terminate_backend on {killed} worker connection(s)")


class DbRestart(Injector):
    """PostgreSQL restarted; the fault ends once it accepts connections again."""

    name = "db-restart"

    def strike(self, ctx: FaultContext) -> None:
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster restart failed: {done.stderr[-300:]}")
        until(ctx.run.db.reachable, 60, "Postgres accepting connections again", 0.2)
        ctx.note(f"pg_ctlcluster {version} main restart")


class JobHang(Injector):
    """The orders table locked for the fault's length (past price_order's 3 s deadline in a
    fault cell): every price_order job blocks on its INSERT until its deadline cuts the
    attempt; fetch_rates jobs, which never touch it, go on."""

    name = "job-hang"

    def strike(self, ctx: FaultContext) -> None:
        hang_s = self.spec.lasts_s
        with ctx.run.db.engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '5s'"))
            conn.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
            ctx.struck()  # the hang starts with the lock
            time.sleep(hang_s)  # the hang's length, as scheduled
            conn.rollback()
        ctx.note(f"orders locked for {hang_s:g} s (ACCESS EXCLUSIVE), then released")

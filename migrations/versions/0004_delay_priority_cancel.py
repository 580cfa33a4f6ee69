"""delayed, prioritised and cancelled jobs: run_at, priority, cancel_requested_at, cancelled

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "status IN ('publishing', 'queued', 'running', 'done', 'failed', 'cancelled')"
OLD = "status IN ('publishing', 'queued', 'running', 'done', 'failed')"
TRIGGER = """
    CREATE TRIGGER jobs_finished AFTER UPDATE OF status ON jobs FOR EACH ROW
    WHEN (NEW.status IN ({}) AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION jobs_notify_finished()
"""


def upgrade() -> None:
    op.add_column("jobs", sa.Column("run_at", sa.DateTime(timezone=True)))
    op.add_column(
        "jobs", sa.Column("priority", sa.String(8), server_default="normal", nullable=False)
    )
    op.add_column("jobs", sa.Column("cancel_requested_at", sa.DateTime(timezone=True)))
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", NEW)
    # A cancelled job is finished too: long-polls (GET /jobs/{id}?wait=) wake for it.
    op.execute("DROP TRIGGER jobs_finished ON jobs")
    op.execute(TRIGGER.format("'done', 'failed', 'cancelled'"))


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_finished ON jobs")
    op.execute(TRIGGER.format("'done', 'failed'"))
    op.execute("UPDATE jobs SET status = 'failed' WHERE status = 'cancelled'")
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", OLD)
    op.drop_column("jobs", "cancel_requested_at")
    op.drop_column("jobs", "priority")
    op.drop_column("jobs", "run_at")

"""the row is the truth: publishing status, attempt times, publishes, duplicate deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "status IN ('publishing', 'queued', 'running', 'done', 'failed')"
OLD = "status IN ('queued', 'running', 'done', 'failed')"


def upgrade() -> None:
    op.add_column("jobs", sa.Column("first_started_at", sa.DateTime(timezone=True)))
    op.add_column("jobs", sa.Column("publishes", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "jobs",
        sa.Column("duplicate_deliveries", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute("UPDATE jobs SET first_started_at = started_at")
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", NEW)


def downgrade() -> None:
    op.execute("UPDATE jobs SET status = 'queued' WHERE status = 'publishing'")
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", OLD)
    op.drop_column("jobs", "duplicate_deliveries")
    op.drop_column("jobs", "publishes")
    op.drop_column("jobs", "first_started_at")

"""chains: waiting steps (chain_id, chain_step), released by the previous step's done

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "status IN ('waiting', 'publishing', 'queued', 'running', 'done', 'failed', 'cancelled')"
OLD = "status IN ('publishing', 'queued', 'running', 'done', 'failed', 'cancelled')"


def upgrade() -> None:
    op.add_column("jobs", sa.Column("chain_id", sa.Uuid()))
    op.add_column("jobs", sa.Column("chain_step", sa.Integer()))
    op.create_index("jobs_chain", "jobs", ["chain_id", "chain_step"])
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", NEW)
    # A released step is published by the API at once (api/released.py): it LISTENs here.
    op.execute(
        """
        CREATE FUNCTION jobs_notify_released() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('jobs_released', NEW.id::text);
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_released AFTER UPDATE OF status ON jobs FOR EACH ROW
        WHEN (OLD.status = 'waiting' AND NEW.status = 'publishing')
        EXECUTE FUNCTION jobs_notify_released()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_released ON jobs")
    op.execute("DROP FUNCTION jobs_notify_released()")
    op.execute("UPDATE jobs SET status = 'cancelled' WHERE status = 'waiting'")
    op.drop_constraint("jobs_status", "jobs", type_="check")
    op.create_check_constraint("jobs_status", "jobs", OLD)
    op.drop_index("jobs_chain", "jobs")
    op.drop_column("jobs", "chain_step")
    op.drop_column("jobs", "chain_id")

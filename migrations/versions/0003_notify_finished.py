"""notify when a job finishes: the API's long-poll (GET /jobs/{id}?wait=) listens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fires at commit, so a waiter re-reading the row sees it finished.
    op.execute(
        """
        CREATE FUNCTION jobs_notify_finished() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('jobs_finished', NEW.id::text);
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_finished AFTER UPDATE OF status ON jobs FOR EACH ROW
        WHEN (NEW.status IN ('done', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION jobs_notify_finished()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_finished ON jobs")
    op.execute("DROP FUNCTION jobs_notify_finished()")

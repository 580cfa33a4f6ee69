"""periodic jobs: tick_key, unique, so two schedulers' ticks in one window make one job

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("tick_key", sa.String(80)))
    op.create_index("jobs_tick_key", "jobs", ["tick_key"], unique=True)


def downgrade() -> None:
    op.drop_index("jobs_tick_key", "jobs")
    op.drop_column("jobs", "tick_key")

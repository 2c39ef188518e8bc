"""evidence counts: probes tallied as inconclusive

Revision ID: 7c1d2e3f4a5b
Revises: 34cd80312792
Create Date: 2026-12-01 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1d2e3f4a5b"
down_revision: str | None = "34cd80312792"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_counts") as batch:
        batch.add_column(
            sa.Column("inconclusive", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_counts") as batch:
        batch.drop_column("inconclusive")

"""catalog_state.spec_stamp: probe tallies move the version, not the catalogue part

Revision ID: 5a0e7b2c9d41
Revises: 7d1e5a93c0b4
Create Date: 2026-12-01 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a0e7b2c9d41"
down_revision: str | None = "7d1e5a93c0b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spec_stamp", sa.String(length=32), server_default="", nullable=False)
        )
    # The current catalogue part is the one the current stamp names.
    op.execute("UPDATE catalog_state SET spec_stamp = stamp")


def downgrade() -> None:
    with op.batch_alter_table("catalog_state", schema=None) as batch_op:
        batch_op.drop_column("spec_stamp")

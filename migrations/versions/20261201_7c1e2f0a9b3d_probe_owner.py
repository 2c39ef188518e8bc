"""probe owner: the name of the token that posted it

Revision ID: 7c1e2f0a9b3d
Revises: 25744fd10993
Create Date: 2026-12-01 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e2f0a9b3d"
down_revision: str | None = "25744fd10993"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing probes keep owner NULL: nobody but an admin may read them, since nothing
    # recorded who was meant to (any probe:write token could read any probe before).
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_probes_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probes_owner"))
        batch_op.drop_column("owner")

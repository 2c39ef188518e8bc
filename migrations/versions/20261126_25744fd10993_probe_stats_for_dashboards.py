"""probe stats for dashboards

Revision ID: 25744fd10993
Revises: 2be5de1c5538
Create Date: 2026-11-26 05:03:49.573098
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "25744fd10993"
down_revision: str | None = "2be5de1c5538"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "probe_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("capability", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_stats")),
        sa.UniqueConstraint(
            "dimension",
            "key",
            "capability",
            "status",
            name=op.f("uq_probe_stats_dimension_key_capability_status"),
        ),
    )
    with op.batch_alter_table("probes", schema=None) as batch_op:
        # Existing probes start uncounted ('[]'); `flask --app app probes reprocess` counts them.
        batch_op.add_column(
            sa.Column("stat_keys", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.drop_column("stat_keys")

    op.drop_table("probe_stats")

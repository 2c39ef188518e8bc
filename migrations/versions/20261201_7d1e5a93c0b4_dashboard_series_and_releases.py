"""dashboard trend series and per-release probe verdicts

Revision ID: 7d1e5a93c0b4
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-01 04:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d1e5a93c0b4"
down_revision: str | None = "7c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing probes are not in these tables until `flask --app app probes reprocess` (which
    # records the new keys) and `flask --app app stats rebuild` have run.
    op.create_table(
        "probe_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=5), nullable=False),
        sa.Column("board", sa.String(length=100), nullable=False),
        sa.Column("chipset", sa.String(length=100), nullable=False),
        sa.Column("cpu_vendor", sa.String(length=200), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("capability", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_series")),
        sa.UniqueConstraint(
            "bucket",
            "board",
            "chipset",
            "cpu_vendor",
            "day",
            "capability",
            "status",
            name=op.f("uq_probe_series_bucket_board_chipset_cpu_vendor_day_capability_status"),
        ),
    )
    op.create_table(
        "release_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board", sa.String(length=100), nullable=False),
        sa.Column("axis", sa.String(length=10), nullable=False),
        sa.Column("release", sa.String(length=100), nullable=False),
        sa.Column("capability", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_stats")),
        sa.UniqueConstraint(
            "board",
            "axis",
            "release",
            "capability",
            "status",
            name=op.f("uq_release_stats_board_axis_release_capability_status"),
        ),
    )


def downgrade() -> None:
    op.drop_table("release_stats")
    op.drop_table("probe_series")

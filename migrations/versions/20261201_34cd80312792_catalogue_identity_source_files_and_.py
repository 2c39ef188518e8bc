"""catalogue identity, source files and observations

Revision ID: 34cd80312792
Revises: 7c1e2f0a9b3d
Create Date: 2026-12-01 04:01:10.344770
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "34cd80312792"
down_revision: str | None = "7c1e2f0a9b3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("exported", sa.String(length=40), nullable=True),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_files")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_source_files_kind_name")),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("bios_version", sa.String(length=100), nullable=False),
        sa.Column("capability", sa.String(length=20), nullable=False),
        sa.Column(
            "observed",
            sa.Enum(
                "yes",
                "no",
                "unknown",
                name="observed",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("record", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_observations_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_observations_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
        sa.UniqueConstraint(
            "source_id",
            "record",
            "capability",
            name=op.f("uq_observations_source_id_record_capability"),
        ),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observations_board_id"), ["board_id"], unique=False)

    with op.batch_alter_table("catalog_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stamp", sa.String(length=32), server_default="", nullable=False)
        )

    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("curated", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )

    with op.batch_alter_table("chipsets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("curated", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )

    with op.batch_alter_table("cpus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processor_number", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("code_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("microarch", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("stepping", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("launch_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("launch_quarter", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("segment", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("socket", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("isa", sa.String(length=8), server_default="x86", nullable=False)
        )
        batch_op.add_column(
            sa.Column("curated", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_cpus_microarch"), ["microarch"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cpus_processor_number"), ["processor_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cpus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cpus_processor_number"))
        batch_op.drop_index(batch_op.f("ix_cpus_microarch"))
        batch_op.drop_column("curated")
        batch_op.drop_column("isa")
        batch_op.drop_column("socket")
        batch_op.drop_column("segment")
        batch_op.drop_column("launch_quarter")
        batch_op.drop_column("launch_year")
        batch_op.drop_column("stepping")
        batch_op.drop_column("microarch")
        batch_op.drop_column("code_name")
        batch_op.drop_column("processor_number")

    with op.batch_alter_table("chipsets", schema=None) as batch_op:
        batch_op.drop_column("curated")

    with op.batch_alter_table("catalog_state", schema=None) as batch_op:
        batch_op.drop_column("stamp")

    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.drop_column("curated")

    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observations_board_id"))

    op.drop_table("observations")
    op.drop_table("source_files")

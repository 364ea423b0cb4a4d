"""Census imports in progress in the database: any bot instance takes the file and the
confirmation of an import another one previewed. The board's lease: one instance at a time
posts a ward's board. The audit indexed by (ward, target, time) for the HIS feed's check of
recent manual edits.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_drafts",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_import_drafts_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_import_drafts")),
    )
    op.create_index(op.f("ix_import_drafts_at"), "import_drafts", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_log_ward_id_target_at"), "audit_log", ["ward_id", "target", "at"]
    )
    with op.batch_alter_table("wards") as batch:
        batch.add_column(sa.Column("board_lease_owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("board_lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_ward_id_target_at"), table_name="audit_log")
    with op.batch_alter_table("wards") as batch:
        batch.drop_column("board_lease_until")
        batch.drop_column("board_lease_owner")
    op.drop_index(op.f("ix_import_drafts_at"), table_name="import_drafts")
    op.drop_table("import_drafts")

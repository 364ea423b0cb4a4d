"""The station screen: each ward's screen link (a seed and a hash) and its names setting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ward_displays",
        sa.Column("ward_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("names_full", sa.Boolean(), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_ward_displays_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("ward_id", name=op.f("pk_ward_displays")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ward_displays_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("ward_displays")

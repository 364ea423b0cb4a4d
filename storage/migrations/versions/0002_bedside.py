"""Bedside: patient warning tags, lines, ward tag settings and printed bedside signs.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRESENT = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "patient_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_patient_tags_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_tags")),
    )
    op.create_index(
        op.f("uq_patient_tags_stay_id_code_present"),
        "patient_tags",
        ["stay_id", "code"],
        unique=True,
        sqlite_where=_PRESENT,
        postgresql_where=_PRESENT,
    )
    op.create_index(op.f("ix_patient_tags_stay_id"), "patient_tags", ["stay_id"])
    op.create_table(
        "patient_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("inserted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_patient_lines_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_lines")),
    )
    op.create_index(op.f("ix_patient_lines_stay_id"), "patient_lines", ["stay_id"])
    op.create_table(
        "ward_tags",
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=True),
        sa.Column("name_en", sa.String(length=64), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=True),
        sa.Column("badge_zh", sa.String(length=64), nullable=True),
        sa.Column("badge_en", sa.String(length=64), nullable=True),
        sa.Column("has_detail", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_ward_tags_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("ward_id", "code", name=op.f("pk_ward_tags")),
    )
    op.create_table(
        "bed_signs",
        sa.Column("stay_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_bed_signs_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("stay_id", name=op.f("pk_bed_signs")),
    )


def downgrade() -> None:
    op.drop_table("bed_signs")
    op.drop_table("ward_tags")
    op.drop_index(op.f("ix_patient_lines_stay_id"), table_name="patient_lines")
    op.drop_table("patient_lines")
    op.drop_index(op.f("ix_patient_tags_stay_id"), table_name="patient_tags")
    op.drop_index(op.f("uq_patient_tags_stay_id_code_present"), table_name="patient_tags")
    op.drop_table("patient_tags")

"""The quality loop: adverse events (never deleted), quality checks and their problems,
and each ward's quality settings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("bed", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_adverse_events_ward_id_wards")
        ),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_adverse_events_stay_id_stays")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["patient_lines.id"], name=op.f("fk_adverse_events_line_id_patient_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    op.create_index(
        op.f("ix_adverse_events_ward_id_occurred_at"), "adverse_events", ["ward_id", "occurred_at"]
    )
    op.create_index(op.f("ix_adverse_events_stay_id"), "adverse_events", ["stay_id"])
    op.create_table(
        "quality_settings",
        sa.Column("ward_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("safety_types", sa.JSON(), nullable=False),
        sa.Column("qc_members", sa.JSON(), nullable=False),
        sa.Column("qc_categories", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_quality_settings_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("ward_id", name=op.f("pk_quality_settings")),
    )
    op.create_table(
        "quality_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.BigInteger(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_quality_checks_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checks")),
    )
    op.create_index(
        op.f("ix_quality_checks_ward_id_checked_at"), "quality_checks", ["ward_id", "checked_at"]
    )
    op.create_table(
        "qc_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found_by", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_qc_problems_ward_id_wards")
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["quality_checks.id"],
            name=op.f("fk_qc_problems_check_id_quality_checks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_problems")),
    )
    op.create_index(
        op.f("ix_qc_problems_ward_id_closed_at"), "qc_problems", ["ward_id", "closed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_qc_problems_ward_id_closed_at"), table_name="qc_problems")
    op.drop_table("qc_problems")
    op.drop_index(op.f("ix_quality_checks_ward_id_checked_at"), table_name="quality_checks")
    op.drop_table("quality_checks")
    op.drop_table("quality_settings")
    op.drop_index(op.f("ix_adverse_events_stay_id"), table_name="adverse_events")
    op.drop_index(op.f("ix_adverse_events_ward_id_occurred_at"), table_name="adverse_events")
    op.drop_table("adverse_events")

"""Tasks: medication orders, reminders, ward policies, materialised task occurrences.

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-25 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("status <> 'cancelled'")
_UNSENT = sa.text("status = 'pending' AND sent_at IS NULL")
_AWAITING = sa.text("status = 'pending' AND sent_at IS NOT NULL AND escalated_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "medication_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(length=64), nullable=False),
        sa.Column("dose", sa.String(length=32), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("freq", sa.String(length=8), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stop_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_medication_orders_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_orders")),
    )
    op.create_index(op.f("ix_medication_orders_stay_id"), "medication_orders", ["stay_id"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("daily_at", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_reminders_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    op.create_index(op.f("ix_reminders_stay_id"), "reminders", ["stay_id"])
    op.create_table(
        "ward_policies",
        sa.Column("ward_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_ward_policies_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("ward_id", name=op.f("pk_ward_policies")),
    )
    op.create_table(
        "task_horizons",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "source_id", name=op.f("pk_task_horizons")),
    )
    op.create_table(
        "task_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=40), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.BigInteger(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_task_occurrences_stay_id_stays")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_task_occurrences_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_occurrences")),
    )
    op.create_index(
        op.f("uq_task_occurrences_source_planned"),
        "task_occurrences",
        ["kind", "source_id", "rule_code", "planned_at"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_index(
        op.f("ix_task_occurrences_claim"),
        "task_occurrences",
        ["remind_at"],
        sqlite_where=_UNSENT,
        postgresql_where=_UNSENT,
    )
    op.create_index(
        op.f("ix_task_occurrences_escalation"),
        "task_occurrences",
        ["due_at"],
        sqlite_where=_AWAITING,
        postgresql_where=_AWAITING,
    )
    op.create_index(
        op.f("ix_task_occurrences_ward_id_status_due_at"),
        "task_occurrences",
        ["ward_id", "status", "due_at"],
    )
    op.create_index(
        op.f("ix_task_occurrences_stay_id_status"), "task_occurrences", ["stay_id", "status"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_task_occurrences_stay_id_status"), table_name="task_occurrences")
    op.drop_index(op.f("ix_task_occurrences_ward_id_status_due_at"), table_name="task_occurrences")
    op.drop_index(op.f("ix_task_occurrences_escalation"), table_name="task_occurrences")
    op.drop_index(op.f("ix_task_occurrences_claim"), table_name="task_occurrences")
    op.drop_index(op.f("uq_task_occurrences_source_planned"), table_name="task_occurrences")
    op.drop_table("task_occurrences")
    op.drop_table("task_horizons")
    op.drop_table("ward_policies")
    op.drop_index(op.f("ix_reminders_stay_id"), table_name="reminders")
    op.drop_table("reminders")
    op.drop_index(op.f("ix_medication_orders_stay_id"), table_name="medication_orders")
    op.drop_table("medication_orders")

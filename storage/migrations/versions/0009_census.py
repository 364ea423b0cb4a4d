"""Census from the hospital system: admission and visit numbers, HIS ward codes, HL7 messages.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE_ADMISSION = sa.text("status = 'active' AND admission_no IS NOT NULL")
_ACTIVE_VISIT = sa.text("status = 'active' AND visit_no IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("stays") as batch:
        batch.add_column(sa.Column("admission_no", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("visit_no", sa.String(length=32), nullable=True))
    op.create_index(
        op.f("uq_stays_ward_id_admission_no_active"),
        "stays",
        ["ward_id", "admission_no"],
        unique=True,
        sqlite_where=_ACTIVE_ADMISSION,
        postgresql_where=_ACTIVE_ADMISSION,
    )
    op.create_index(
        op.f("uq_stays_ward_id_visit_no_active"),
        "stays",
        ["ward_id", "visit_no"],
        unique=True,
        sqlite_where=_ACTIVE_VISIT,
        postgresql_where=_ACTIVE_VISIT,
    )
    op.create_index(op.f("ix_stays_admission_no"), "stays", ["admission_no"])
    op.create_index(op.f("ix_stays_visit_no"), "stays", ["visit_no"])
    with op.batch_alter_table("wards") as batch:
        batch.add_column(sa.Column("his_code", sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f("uq_wards_his_code"), ["his_code"])
    op.create_table(
        "his_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.String(length=64), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("ack_code", sa.String(length=2), nullable=False),
        sa.Column("ack_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["wards.id"], name=op.f("fk_his_messages_ward_id_wards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_messages")),
        sa.UniqueConstraint("control_id", name=op.f("uq_his_messages_control_id")),
    )
    op.create_index(
        op.f("ix_his_messages_ward_id_received_at"), "his_messages", ["ward_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_his_messages_ward_id_received_at"), table_name="his_messages")
    op.drop_table("his_messages")
    with op.batch_alter_table("wards") as batch:
        batch.drop_constraint(op.f("uq_wards_his_code"), type_="unique")
        batch.drop_column("his_code")
    op.drop_index(op.f("ix_stays_visit_no"), table_name="stays")
    op.drop_index(op.f("ix_stays_admission_no"), table_name="stays")
    op.drop_index(op.f("uq_stays_ward_id_visit_no_active"), table_name="stays")
    op.drop_index(op.f("uq_stays_ward_id_admission_no_active"), table_name="stays")
    with op.batch_alter_table("stays") as batch:
        batch.drop_column("visit_no")
        batch.drop_column("admission_no")

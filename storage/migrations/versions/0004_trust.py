"""Trust: hospital operators, two-step transfers, single-use invites, group reachability.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_operators")),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("from_ward_id", sa.Integer(), nullable=False),
        sa.Column("to_ward_id", sa.Integer(), nullable=False),
        sa.Column("bed_wanted", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_stay_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stay_id"], ["stays.id"], name=op.f("fk_transfers_stay_id_stays")
        ),
        sa.ForeignKeyConstraint(
            ["from_ward_id"], ["wards.id"], name=op.f("fk_transfers_from_ward_id_wards")
        ),
        sa.ForeignKeyConstraint(
            ["to_ward_id"], ["wards.id"], name=op.f("fk_transfers_to_ward_id_wards")
        ),
        sa.ForeignKeyConstraint(
            ["new_stay_id"], ["stays.id"], name=op.f("fk_transfers_new_stay_id_stays")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(
        op.f("uq_transfers_stay_id_pending"),
        "transfers",
        ["stay_id"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_index(op.f("ix_transfers_to_ward_id_state"), "transfers", ["to_ward_id", "state"])
    op.create_index(
        op.f("ix_transfers_from_ward_id_state"), "transfers", ["from_ward_id", "state"]
    )
    with op.batch_alter_table("wards") as batch:
        batch.add_column(sa.Column("group_problem", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("group_problem_since", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("username", sa.String(length=64), nullable=True))
    with op.batch_alter_table("invites") as batch:
        batch.add_column(
            sa.Column("max_uses", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch.add_column(
            sa.Column("uses", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("user_prefs") as batch:
        batch.add_column(sa.Column("notes_warned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_prefs") as batch:
        batch.drop_column("notes_warned_at")
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("uses")
        batch.drop_column("max_uses")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("username")
    with op.batch_alter_table("wards") as batch:
        batch.drop_column("group_problem_since")
        batch.drop_column("group_problem")
    op.drop_index(op.f("ix_transfers_from_ward_id_state"), table_name="transfers")
    op.drop_index(op.f("ix_transfers_to_ward_id_state"), table_name="transfers")
    op.drop_index(op.f("uq_transfers_stay_id_pending"), table_name="transfers")
    op.drop_table("transfers")
    op.drop_table("operators")

"""The ward's active stays found by an index of their own: (ward_id, ended_at) alone made
every board read every stay the ward ever had (20,000 after three or four years of a
60-bed ward: 4 ms a read on SQLite, growing with the years).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_stays_ward_id_status"), "stays", ["ward_id", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stays_ward_id_status"), table_name="stays")

"""A claim leases whole wards: the unsent pending tasks by ward and reminder time, so each
ward's due tasks are found without reading the rest of its 48 hours.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSENT = sa.text("status = 'pending' AND sent_at IS NULL")


def upgrade() -> None:
    op.create_index(
        op.f("ix_task_occurrences_claim_ward"),
        "task_occurrences",
        ["ward_id", "remind_at"],
        sqlite_where=_UNSENT,
        postgresql_where=_UNSENT,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_task_occurrences_claim_ward"), table_name="task_occurrences")

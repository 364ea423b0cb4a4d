"""Retention applied by the bot itself once a day: the ward's local day it was last applied,
so of several instances one does it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wards") as batch:
        batch.add_column(sa.Column("retention_day", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wards") as batch:
        batch.drop_column("retention_day")

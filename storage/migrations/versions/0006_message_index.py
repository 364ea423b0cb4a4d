"""Reminder messages: find the tasks a slot message carries without scanning the table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_task_occurrences_message_chat_id_message_id"),
        "task_occurrences",
        ["message_chat_id", "message_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_task_occurrences_message_chat_id_message_id"), table_name="task_occurrences"
    )

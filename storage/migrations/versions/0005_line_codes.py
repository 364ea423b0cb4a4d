"""One line catalogue: stored ward policies key the nasogastric tube's care "ngt", not "ng".

boards.schedule had its own line codes, spelling the nasogastric tube "ng" where
boards.lines (and every stored patient line) says "ngt"; a policy a head nurse saved
holds the old spelling. Plain SQL per backend, so `alembic upgrade --sql` writes it too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename_line(old: str, new: str) -> None:
    # Codes are fixed identifiers of ours ([a-z_]), never user input: safe to inline.
    if op.get_context().dialect.name == "postgresql":
        # The column is JSON: through jsonb for its path operators, and back.
        op.execute(
            "UPDATE ward_policies SET policy = jsonb_set("
            f"policy::jsonb #- '{{line_care,{old}}}', '{{line_care,{new}}}', "
            f"policy::jsonb #> '{{line_care,{old}}}')::json "
            f"WHERE jsonb_typeof(policy::jsonb #> '{{line_care,{old}}}') = 'array'"
        )
    else:
        # json() keeps the rules an array: json_set would store plain text as a string.
        op.execute(
            "UPDATE ward_policies SET policy = json_set("
            f"json_remove(policy, '$.line_care.{old}'), '$.line_care.{new}', "
            f"json(json_extract(policy, '$.line_care.{old}'))) "
            f"WHERE json_type(policy, '$.line_care.{old}') = 'array'"
        )


def upgrade() -> None:
    _rename_line("ng", "ngt")


def downgrade() -> None:
    _rename_line("ngt", "ng")

"""Each ward's board version, kept by the database itself: every insert, update or delete
in a table the board reads adds one to the version of each ward whose board it changes, in
the same transaction, whoever writes (a bot instance, the HIS feed, the reminder claims,
retention, an operator's SQL). A process may then keep a board it read and show it again
while the version and the minute are the same (boards/board_load.py).

What the board of a ward reads, and whose version a row changes:
- a row with a ward_id: that ward's (a task's reminder bookkeeping excepted: the claim's
  lease and the sent message's ids, which the board does not show);
- a row of a stay (its surgeries, items, tags, lines, signs): the stay's ward;
- a stay: its ward, and the ward any transfer of it goes to (which shows its arrivals);
- a transfer: both wards;
- a ward: created, it has a version; renamed, every ward's changes (a ward's board names
  the wards its transfers come from and go to).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 20:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_WARD = (
    "stays",
    "ward_tags",
    "ward_policies",
    "task_occurrences",
    "quality_settings",
    "adverse_events",
)
_BY_STAY = ("surgeries", "board_items", "patient_tags", "patient_lines", "bed_signs")
_TABLES = (*_BY_WARD, *_BY_STAY, "transfers")
# Columns whose change no board shows: an update of only these changes no version.
_QUIET = {
    "task_occurrences": ("sent_at", "message_chat_id", "message_id", "lease_owner", "lease_until")
}
# task_occurrences' columns as of this revision (tests/storage/test_board_versions.py
# fails when a later one adds a column that these triggers do not watch).
_TASK_COLUMNS = (
    "id",
    "ward_id",
    "stay_id",
    "kind",
    "source_id",
    "rule_code",
    "planned_at",
    "due_at",
    "remind_at",
    "text",
    "created_at",
    "status",
    "done_at",
    "done_by",
    "skip_reason",
    "cancelled_at",
    "sent_at",
    "message_chat_id",
    "message_id",
    "escalated_at",
    "lease_owner",
    "lease_until",
    "late",
)


def _wards_of(table: str, rows: Sequence[str]) -> str:
    """The condition on board_versions.ward_id naming the wards these rows (OLD, NEW)
    change."""

    def of(column: str) -> str:
        return ", ".join(f"{row}.{column}" for row in rows)

    if table == "transfers":
        return f"ward_id IN ({of('from_ward_id')}, {of('to_ward_id')})"
    if table in _BY_STAY:
        return f"ward_id IN (SELECT ward_id FROM stays WHERE id IN ({of('stay_id')}))"
    condition = f"ward_id IN ({of('ward_id')})"
    if table == "stays":
        condition += (
            f" OR ward_id IN (SELECT to_ward_id FROM transfers WHERE stay_id IN ({of('id')}))"
        )
    return condition


def _bump(table: str, rows: Sequence[str]) -> str:
    return f"UPDATE board_versions SET version = version + 1 WHERE {_wards_of(table, rows)}"


def _changed(table: str, distinct: str) -> str | None:
    """The WHEN of an update that counts, if some columns do not."""
    quiet = _QUIET.get(table)
    if quiet is None:
        return None
    columns = [c for c in _TASK_COLUMNS if c not in quiet]
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


_OPS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _sqlite_upgrade() -> None:
    for table in _TABLES:
        for event, rows in _OPS.items():
            when = _changed(table, "IS NOT") if event == "UPDATE" else None
            op.execute(
                f"CREATE TRIGGER board_version_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW {f'WHEN {when} ' if when else ''}"
                f"BEGIN {_bump(table, rows)}; END"
            )
    op.execute(
        "CREATE TRIGGER board_version_wards_insert AFTER INSERT ON wards FOR EACH ROW "
        "BEGIN INSERT INTO board_versions (ward_id, version) VALUES (NEW.id, 1); END"
    )
    op.execute(
        "CREATE TRIGGER board_version_wards_update AFTER UPDATE OF name ON wards FOR EACH ROW "
        "WHEN OLD.name IS NOT NEW.name "
        "BEGIN UPDATE board_versions SET version = version + 1; END"
    )
    op.execute(
        "CREATE TRIGGER board_version_wards_delete AFTER DELETE ON wards FOR EACH ROW "
        "BEGIN DELETE FROM board_versions WHERE ward_id = OLD.id; END"
    )


def _postgresql_upgrade() -> None:
    for table in _TABLES:
        op.execute(
            f"CREATE FUNCTION board_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP = 'INSERT' THEN {_bump(table, _OPS['INSERT'])};\n"
            f"  ELSIF TG_OP = 'UPDATE' THEN {_bump(table, _OPS['UPDATE'])};\n"
            f"  ELSE {_bump(table, _OPS['DELETE'])};\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        when = _changed(table, "IS DISTINCT FROM")
        run = f"FOR EACH ROW EXECUTE FUNCTION board_version_{table}()"
        if when is None:
            op.execute(
                f"CREATE TRIGGER board_version AFTER INSERT OR UPDATE OR DELETE ON {table} {run}"
            )
        else:
            op.execute(f"CREATE TRIGGER board_version AFTER INSERT OR DELETE ON {table} {run}")
            op.execute(
                f"CREATE TRIGGER board_version_update AFTER UPDATE ON {table} "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION board_version_{table}()"
            )
    op.execute(
        "CREATE FUNCTION board_version_wards() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    INSERT INTO board_versions (ward_id, version) VALUES (NEW.id, 1);\n"
        "  ELSIF TG_OP = 'UPDATE' THEN\n"
        "    UPDATE board_versions SET version = version + 1;\n"
        "  ELSE\n"
        "    DELETE FROM board_versions WHERE ward_id = OLD.id;\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    run = "FOR EACH ROW EXECUTE FUNCTION board_version_wards()"
    op.execute(f"CREATE TRIGGER board_version AFTER INSERT OR DELETE ON wards {run}")
    op.execute(
        "CREATE TRIGGER board_version_update AFTER UPDATE OF name ON wards FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION board_version_wards()"
    )


def upgrade() -> None:
    op.create_table(
        "board_versions",
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ward_id", name=op.f("pk_board_versions")),
    )
    op.execute("INSERT INTO board_versions (ward_id, version) SELECT id, 1 FROM wards")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*_TABLES, "wards"):
            op.execute(f"DROP TRIGGER IF EXISTS board_version ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS board_version_update ON {table}")
            op.execute(f"DROP FUNCTION board_version_{table}()")
    else:
        for table in (*_TABLES, "wards"):
            for event in _OPS:
                op.execute(f"DROP TRIGGER IF EXISTS board_version_{table}_{event.lower()}")
    op.drop_table("board_versions")

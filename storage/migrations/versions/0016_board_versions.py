"""Each ward's board version, kept by the database itself: a transaction that inserts,
updates or deletes a row the board of a ward shows adds one to that ward's version, as it
commits, whoever writes (a bot instance, the HIS feed, the reminder claims, retention, an
operator's SQL). A process may then keep a board it read and show it again while the
version and the minute are the same (boards/board_load.py).

Whose version a row changes:
- a row with a ward_id: that ward's (a task's reminder bookkeeping excepted: the claim's
  lease and the sent message's ids, which the board does not show);
- a row of a stay (its surgeries, items, tags, lines, signs): the stay's ward (a stay never
  changes wards: a transfer is a new stay, and a trigger refuses the change);
- a transfer: both wards'. A board showing a pending transfer shows another ward's patient
  or name too, so it is never kept (boards/board_load.py); no version need follow those.
- a ward created has a version; deleted, it has none.

SQLite has one writer at a time: each row's trigger adds one at once. PostgreSQL runs
writers side by side, and a version row locked from a write until its commit would queue
every write of that ward behind a long transaction (the tasks' top-up of every ward), and
let two multi-ward transactions deadlock. There each row's trigger only notes the ward in
the transaction (a transaction-local setting), and a deferred trigger adds one to each noted
ward as the transaction commits, locking their rows in ward order. Writers run at READ
COMMITTED (the bot's, the feed's); one at REPEATABLE READ or SERIALIZABLE writing a ward
another writer committed to meanwhile fails at commit with a serialization error, to be
retried, as on any shared row.

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
_OPS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
_TOUCHED = "wardboard.board_touched"
_BUMPED = "wardboard.board_bumped"


def _wards_of(table: str, row: str) -> list[str]:
    """The wards (SQL expressions) whose board this row (OLD or NEW) is on."""
    if table == "transfers":
        return [f"{row}.from_ward_id", f"{row}.to_ward_id"]
    if table in _BY_STAY:
        return [f"(SELECT ward_id FROM stays WHERE id = {row}.stay_id)"]
    return [f"{row}.ward_id"]


def _changed(table: str, distinct: str) -> str | None:
    """The WHEN of an update that counts, if some columns do not."""
    quiet = _QUIET.get(table)
    if quiet is None:
        return None
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in _TASK_COLUMNS if c not in quiet)


_STAY_STAYS = "a stay does not change wards"


def _sqlite_upgrade() -> None:
    for table in _TABLES:
        for event, rows in _OPS.items():
            when = _changed(table, "IS NOT") if event == "UPDATE" else None
            wards = ", ".join(w for row in rows for w in _wards_of(table, row))
            op.execute(
                f"CREATE TRIGGER board_version_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW {f'WHEN {when} ' if when else ''}BEGIN "
                f"UPDATE board_versions SET version = version + 1 WHERE ward_id IN ({wards}); END"
            )
    op.execute(
        "CREATE TRIGGER board_version_stays_ward BEFORE UPDATE OF ward_id ON stays "
        "FOR EACH ROW WHEN OLD.ward_id IS NOT NEW.ward_id "
        f"BEGIN SELECT RAISE(ABORT, '{_STAY_STAYS}'); END"
    )
    op.execute(
        "CREATE TRIGGER board_version_wards_insert AFTER INSERT ON wards FOR EACH ROW "
        "BEGIN INSERT INTO board_versions (ward_id, version) VALUES (NEW.id, 1); END"
    )
    op.execute(
        "CREATE TRIGGER board_version_wards_delete AFTER DELETE ON wards FOR EACH ROW "
        "BEGIN DELETE FROM board_versions WHERE ward_id = OLD.id; END"
    )


def _postgresql_upgrade() -> None:
    # Note a ward in this transaction (once), for board_version_flush at its commit.
    op.execute(
        "CREATE FUNCTION board_version_note(ward bigint) RETURNS void LANGUAGE plpgsql AS $$\n"
        "DECLARE\n"
        f"  noted text := coalesce(current_setting('{_TOUCHED}', true), '');\n"
        "BEGIN\n"
        "  IF ward IS NOT NULL AND position(',' || ward || ',' IN noted) = 0 THEN\n"
        f"    PERFORM set_config('{_TOUCHED}',\n"
        "      CASE WHEN noted = '' THEN ',' ELSE noted END || ward || ',', true);\n"
        "  END IF;\n"
        "END $$"
    )
    # As the transaction commits: one more for every noted ward, rows locked in ward order,
    # each ward once (the wards bumped are kept too). The first of its deferred calls does
    # it all; the others find nothing noted. Only ward ids are taken from the settings.
    op.execute(
        "CREATE FUNCTION board_version_bump(own bigint[]) RETURNS void LANGUAGE plpgsql AS $$\n"
        "DECLARE\n"
        f"  bumped text := coalesce(current_setting('{_BUMPED}', true), '');\n"
        "  noted text;\n"
        "  wards bigint[];\n"
        "  ward bigint;\n"
        "BEGIN\n"
        "  FOREACH ward IN ARRAY own LOOP\n"
        "    IF ward IS NOT NULL AND position(',' || ward || ',' IN bumped) = 0 THEN\n"
        "      PERFORM board_version_note(ward);\n"
        "    END IF;\n"
        "  END LOOP;\n"
        f"  noted := coalesce(current_setting('{_TOUCHED}', true), '');\n"
        "  IF noted IN ('', ',') THEN RETURN; END IF;\n"
        f"  PERFORM set_config('{_TOUCHED}', '', true);\n"
        "  SELECT array_agg(w::bigint) INTO wards\n"
        "    FROM unnest(string_to_array(noted, ',')) AS w WHERE w ~ '^[0-9]{1,18}$';\n"
        "  IF wards IS NULL THEN RETURN; END IF;\n"
        "  PERFORM 1 FROM board_versions WHERE ward_id = ANY(wards) ORDER BY ward_id FOR UPDATE;\n"
        "  UPDATE board_versions SET version = version + 1 WHERE ward_id = ANY(wards);\n"
        f"  PERFORM set_config('{_BUMPED}',\n"
        "    CASE WHEN bumped = '' THEN ',' ELSE bumped END\n"
        "      || array_to_string(wards, ',') || ',', true);\n"
        "END $$"
    )
    # TRUNCATE (an operator's): every ward's board may have changed.
    op.execute(
        "CREATE FUNCTION board_version_all() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  PERFORM 1 FROM board_versions ORDER BY ward_id FOR UPDATE;\n"
        "  UPDATE board_versions SET version = version + 1;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    for table in _TABLES:
        old = "; ".join(f"PERFORM board_version_note({w})" for w in _wards_of(table, "OLD"))
        new = "; ".join(f"PERFORM board_version_note({w})" for w in _wards_of(table, "NEW"))
        noting = (
            f"  IF TG_OP <> 'INSERT' THEN {old}; END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN {new}; END IF;\n"
        )
        op.execute(
            f"CREATE FUNCTION board_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{noting}  RETURN NULL;\nEND $$"
        )

        # The flush brings its own row's wards too, unless bumped already in this
        # transaction: whatever ran between (RESET ALL, a garbled setting) and in whichever
        # order a row's triggers fire (SET CONSTRAINTS ... IMMEDIATE fires them by name),
        # every ward written is added to once before the transaction commits, which is all
        # a reader elsewhere can tell (it sees the version only once committed).
        def bump(rows: Sequence[str], table: str = table) -> str:
            wards = ", ".join(w for row in rows for w in _wards_of(table, row))
            return f"PERFORM board_version_bump(ARRAY[{wards}]::bigint[]);"

        op.execute(
            f"CREATE FUNCTION board_version_flush_{table}() RETURNS trigger LANGUAGE plpgsql "
            "AS $$\nBEGIN\n"
            f"  IF TG_OP = 'INSERT' THEN {bump(('NEW',))}\n"
            f"  ELSIF TG_OP = 'DELETE' THEN {bump(('OLD',))}\n"
            f"  ELSE {bump(('OLD', 'NEW'))}\n"
            "  END IF;\n"
            "  RETURN NULL;\nEND $$"
        )
        when = _changed(table, "IS DISTINCT FROM")
        note = f"FOR EACH ROW EXECUTE FUNCTION board_version_{table}()"
        flush = f"FOR EACH ROW EXECUTE FUNCTION board_version_flush_{table}()"
        deferred = "DEFERRABLE INITIALLY DEFERRED"
        if when is None:
            events = "INSERT OR UPDATE OR DELETE"
        else:
            events = "INSERT OR DELETE"
            op.execute(
                f"CREATE TRIGGER board_version_a_update AFTER UPDATE ON {table} "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION board_version_{table}()"
            )
            op.execute(
                f"CREATE CONSTRAINT TRIGGER board_version_b_flush_update AFTER UPDATE ON {table} "
                f"{deferred} FOR EACH ROW WHEN ({when}) {flush[len('FOR EACH ROW ') :]}"
            )
        op.execute(f"CREATE TRIGGER board_version_a AFTER {events} ON {table} {note}")
        op.execute(
            f"CREATE CONSTRAINT TRIGGER board_version_b_flush AFTER {events} ON {table} "
            f"{deferred} {flush}"
        )
        op.execute(
            f"CREATE TRIGGER board_version_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION board_version_all()"
        )
    op.execute(
        "CREATE FUNCTION board_version_stays_ward() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN RAISE EXCEPTION '{_STAY_STAYS}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER board_version_stays_ward BEFORE UPDATE OF ward_id ON stays "
        "FOR EACH ROW WHEN (OLD.ward_id IS DISTINCT FROM NEW.ward_id) "
        "EXECUTE FUNCTION board_version_stays_ward()"
    )
    op.execute(
        "CREATE FUNCTION board_version_wards() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    INSERT INTO board_versions (ward_id, version) VALUES (NEW.id, 1);\n"
        "  ELSE\n"
        "    DELETE FROM board_versions WHERE ward_id = OLD.id;\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER board_version AFTER INSERT OR DELETE ON wards "
        "FOR EACH ROW EXECUTE FUNCTION board_version_wards()"
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
        for table in (*_TABLES, "stays", "wards"):
            for name in (
                "board_version",
                "board_version_a",
                "board_version_a_update",
                "board_version_b_flush",
                "board_version_b_flush_update",
                "board_version_truncate",
                "board_version_stays_ward",
            ):
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for table in _TABLES:
            op.execute(f"DROP FUNCTION IF EXISTS board_version_flush_{table}()")
        for table in (*_TABLES, "wards", "stays_ward"):
            op.execute(f"DROP FUNCTION IF EXISTS board_version_{table}()")
        op.execute("DROP FUNCTION board_version_bump(bigint[])")
        op.execute("DROP FUNCTION board_version_all()")
        op.execute("DROP FUNCTION board_version_note(bigint)")
    else:
        for table in (*_TABLES, "wards"):
            for event in _OPS:
                op.execute(f"DROP TRIGGER IF EXISTS board_version_{table}_{event.lower()}")
        op.execute("DROP TRIGGER IF EXISTS board_version_stays_ward")
    op.drop_table("board_versions")

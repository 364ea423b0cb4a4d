"""The reads of every board find their rows by index in SQLite, whatever the ward's past."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from storage.repositories.bedside import _LINES_OF, _PRESENT_TAGS, _SIGNS_OF
from storage.repositories.patients import _ITEMS_BETWEEN, _MANY, _ON_BOARD, _SURGERIES_OF
from storage.repositories.tasks import _LEASE_FIRST, _LEASE_REST, _OPEN_DUE_OF_WARD
from storage.repositories.wards import _OPENING

__all__: list[str] = []

# A ward's stays as one bound list (storage/repositories/_base.py `among`), its board's
# stays in one read: each must search an index, never scan the table (a ward has years
# of past stays, notes and tasks: a scan grows with every year, and runs in the event
# loop's thread).
READS = {
    "stays by id": (_MANY, "stays"),
    "surgeries": (_SURGERIES_OF, "surgeries"),
    "today's items": (_ITEMS_BETWEEN, "board_items"),
    "present tags": (_PRESENT_TAGS, "patient_tags"),
    "lines": (_LINES_OF, "patient_lines"),
    "signs": (_SIGNS_OF, "bed_signs"),
    "board stays": (_ON_BOARD, "stays"),
    "open tasks": (_OPEN_DUE_OF_WARD, "task_occurrences"),
}


def test_a_private_updates_opening_read_searches_every_table(_sqlite_template: Path) -> None:
    """Her preferences, her chat's dialogue, her memberships and their wards, read at the
    start of every private update: each by its key, never the hospital's memberships."""
    plan = _plan(_sqlite_template, _OPENING)
    for table in ("user_prefs", "dialogues", "members", "wards"):
        assert any(step.startswith(f"SEARCH {table} ") for step in plan), plan
    assert not any(step.startswith("SCAN members") for step in plan), plan
    assert not any("MATERIALIZE" in step for step in plan), plan


def _plan(path: Path, statement: Any) -> list[str]:
    compiled = statement.compile(dialect=sqlite.dialect())
    values = {"ids": "[1, 2, 3]", "ward_id": 1, "user_id": 501, "chat_id": 501}
    params = [values.get(name, "2026-11-23 00:00:00.000000") for name in compiled.positiontup]
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
    return [row[-1] for row in rows]


@pytest.mark.parametrize("read", sorted(READS))
def test_a_board_read_searches_an_index(_sqlite_template: Path, read: str) -> None:
    statement, table = READS[read]
    plan = _plan(_sqlite_template, statement)
    assert any(step.startswith(f"SEARCH {table} ") for step in plan), plan
    assert not any(step.startswith(f"SCAN {table}") for step in plan), plan


# The 08:00 claim reads only the partial indexes of unsent pending tasks (the 48 hours
# ahead), never the table nor an index of every task the ward ever had (they grow with
# every year): the first lease by either, the rest of its wards by ward and reminder time
# (not each ward's other 48 hours).
CLAIMS = {
    "first lease": (_LEASE_FIRST, "ix_task_occurrences_claim"),
    "rest of its wards": (
        _LEASE_REST,
        "ix_task_occurrences_claim_ward (ward_id=? AND remind_at<?)",
    ),
}


@pytest.mark.parametrize("claim", sorted(CLAIMS))
def test_a_claim_reads_only_the_unsent_tasks_indexes(_sqlite_template: Path, claim: str) -> None:
    statement, index = CLAIMS[claim]
    compiled = statement.compile(dialect=sqlite.dialect())
    at = "2026-11-23 00:00:00.000000"
    # Bound as the bot binds them: the status is in the parameters, as SQLite must see it
    # to use a partial index.
    given = {"now": at, "lease_until": at, "late_before": at, "owner": "a", "limit": 500}
    params = compiled.construct_params({**given, "wards": "[1, 2]"})
    values = [params[name] for name in compiled.positiontup]
    with sqlite3.connect(_sqlite_template) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled}", values).fetchall()
    plan = [row[-1] for row in rows]
    reads = [
        step
        for step in plan
        if step.split()[:2] in (["SCAN", "task_occurrences"], ["SEARCH", "task_occurrences"])
        and "INTEGER PRIMARY KEY" not in step
    ]
    assert reads and all(f"USING INDEX {index}" in step for step in reads), plan

"""A ward's board version is the database's (migration 0016): every change to what the
board shows moves it, whoever makes it, and a board read again at the same version and
minute is the one kept; a change from another connection is never missed."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import DBAPIError

from boards import bedside, services, tasks
from boards.access import Actor
from boards.board_load import forget_boards, load_board
from boards.clock import ManualClock
from boards.memo import forget_patient_text
from boards.model import Age, Sex, Ward
from boards.schedule import Frequency, Route
from boards.tasks import MedArgs
from boards.transfers import offer_transfer
from storage import Database
from tests.storage.factories import create_ward

__all__: list[str] = []

NOW = datetime(2025, 11, 23, 6, 30, 10, tzinfo=UTC)  # 14:30:10 in the ward
HEAD = Actor(7_123_456_789, "李护士长")
# Read by the board, versioned by a row's own identity instead: the ward is part of the
# kept board's key; json_each is SQLite's list of ids.
_NOT_TABLES = {"wards", "json_each", "board_versions"}
_QUIET = {"sent_at", "message_chat_id", "message_id", "lease_owner", "lease_until"}


async def _ward_with_patients(database: Database, clock: ManualClock) -> Ward:
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=6)
        for bed, name in (("2", "欧阳明华"), ("5", "张三")):
            await services.admit(
                uow, clock, actor=HEAD, ward=ward, bed=bed, name=name, sex=Sex.FEMALE, age=Age(70)
            )
        await uow.commit()
    return ward


async def _other_ward(database: Database, clock: ManualClock) -> Ward:
    async with database.uow() as uow:
        other = await create_ward(uow, clock, HEAD, bed_count=4, name="心内科")
        await uow.commit()
    return other


async def _stamp(database: Database, ward: Ward) -> Any:
    async with database.uow() as uow:
        return await uow.board_stamp(ward.id)


async def _triggers(database: Database) -> dict[str, set[str]]:
    """Table -> the events (INSERT, UPDATE, DELETE) a trigger of it acts on."""
    found: dict[str, set[str]] = {}
    async with database.uow() as uow:
        connection = await uow._session.connection()
        if connection.dialect.name == "sqlite":
            rows = await connection.execute(
                text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            )
            for table, sql in rows:
                match = re.search(r"AFTER (INSERT|UPDATE|DELETE)", sql)
                if match is None:
                    continue  # a BEFORE trigger: a check, not a version
                found.setdefault(table, set()).add(match.group(1))
        else:
            rows = await connection.execute(
                text(
                    "SELECT event_object_table, event_manipulation "
                    "FROM information_schema.triggers WHERE action_timing = 'AFTER'"
                )
            )
            for table, manipulation in rows:
                found.setdefault(table, set()).add(manipulation)
    return found


async def _conditions(database: Database, table: str) -> list[str]:
    """The WHEN of the table's update triggers."""
    async with database.uow() as uow:
        connection = await uow._session.connection()
        if connection.dialect.name == "sqlite":
            rows = await connection.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
                    "AND sql LIKE '%AFTER UPDATE%'"
                ),
                {"t": table},
            )
            return [re.search(r"WHEN (.*) BEGIN", sql, re.S).group(1) for (sql,) in rows]  # type: ignore[union-attr]
        rows = await connection.execute(
            text(
                "SELECT action_condition FROM information_schema.triggers "
                "WHERE event_object_table = :t AND event_manipulation = 'UPDATE'"
            ),
            {"t": table},
        )
        return [condition or "" for (condition,) in rows]


async def test_every_table_the_board_reads_has_its_version_moved_on_every_change(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    statements: list[str] = []

    def seen(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    engine = database._engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        async with database.uow() as uow:
            await load_board(uow, clock, ward=ward)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    read = {
        name for sql in statements for name in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql)
    } - _NOT_TABLES
    assert {"stays", "patient_tags", "patient_lines", "task_occurrences"} <= read
    triggers = await _triggers(database)
    missing = {t: {"INSERT", "UPDATE", "DELETE"} - triggers.get(t, set()) for t in read}
    assert {t: e for t, e in missing.items() if e} == {}
    assert {"INSERT", "DELETE"} <= triggers["wards"]  # its version row made and removed
    async with database.uow() as uow:
        connection = await uow._session.connection()
        if connection.dialect.name == "postgresql":
            # There the versions are added to at commit, by a deferred trigger of each table.
            flushed = await connection.execute(
                text(
                    "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgdeferrable "
                    "AND tginitdeferred AND tgname LIKE 'board_version_b_flush%'"
                )
            )
            assert read <= {table for (table,) in flushed}
    # The board reads none of a task's quiet columns, and an update of any other one counts.
    task_reads = " ".join(s for s in statements if "FROM task_occurrences" in s)
    assert not [c for c in _QUIET if f"task_occurrences.{c}" in task_reads]
    async with database.uow() as uow:
        connection = await uow._session.connection()
        columns = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("task_occurrences")}
        )
    conditions = await _conditions(database, "task_occurrences")
    assert conditions
    for condition in conditions:
        watched = set(re.findall(r"\bold\.(\w+)", condition, re.IGNORECASE))
        assert watched == columns - _QUIET


async def test_a_change_from_another_connection_moves_the_version_and_shows(
    database: Database, database_url: str
) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        first = await load_board(uow, clock, ward=ward)
    before = await _stamp(database, ward)
    assert before is not None and await _stamp(database, ward) == before
    async with database.uow() as uow:
        assert await load_board(uow, clock, ward=ward) is first  # kept: not read again

    other = Database(database_url)  # another instance on the same database
    try:
        async with other.uow() as uow:
            await bedside.tag_patient(uow, clock, actor=HEAD, ward=ward, bed="2", word="防坠床")
            await uow.commit()
    finally:
        await other.dispose()
    assert await _stamp(database, ward) != before
    async with database.uow() as uow:
        data = await load_board(uow, clock, ward=ward)
    two = next(s for s in data.active if s.bed == "2")
    assert [t.tag.code for t in data.bedside[two.id].tags] == ["bed_fall"]


async def test_a_transaction_that_wrote_neither_uses_nor_keeps_a_board(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        await bedside.tag_patient(uow, clock, actor=HEAD, ward=ward, bed="2", word="防坠床")
        assert await uow.board_stamp(ward.id) is None
        shown = await load_board(uow, clock, ward=ward)
        # rolled back: never committed
    two = next(s for s in shown.active if s.bed == "2")
    assert [t.tag.code for t in shown.bedside[two.id].tags] == ["bed_fall"]
    # Another change brings the version where the rolled-back one had it: the tag that
    # was never committed is not shown under it.
    async with database.uow() as uow:
        await bedside.tag_patient(uow, clock, actor=HEAD, ward=ward, bed="5", word="防跌倒")
        await uow.commit()
    async with database.uow() as uow:
        data = await load_board(uow, clock, ward=ward)
    five = next(s for s in data.active if s.bed == "5")
    assert data.bedside[two.id].tags == ()
    assert [t.tag.code for t in data.bedside[five.id].tags] == ["fall"]


async def test_a_board_is_read_as_of_its_minute_and_again_at_the_next(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        first = await load_board(uow, clock, ward=ward)
    assert first.now == NOW.replace(second=0)
    clock.advance(timedelta(seconds=45))  # 14:30:55: the same minute
    async with database.uow() as uow:
        assert await load_board(uow, clock, ward=ward) is first
    clock.advance(timedelta(seconds=10))  # 14:31:05
    async with database.uow() as uow:
        later = await load_board(uow, clock, ward=ward)
    assert later is not first and later.now == datetime(2025, 11, 23, 6, 31, tzinfo=UTC)


async def test_only_board_changes_move_a_version(database: Database) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    other = await _other_ward(database, clock)
    here, there = await _stamp(database, ward), await _stamp(database, other)
    async with database.uow() as uow:
        connection = await uow._session.connection()
        # What the claim and the sending write: nothing the board shows.
        await connection.execute(
            text(
                "UPDATE task_occurrences SET lease_owner = 'x', lease_until = :t, "
                "sent_at = :t WHERE ward_id = :w"
            ),
            {"t": NOW, "w": ward.id},
        )
        await uow.commit()
    assert await _stamp(database, ward) == here
    async with database.uow() as uow:
        await services.admit(
            uow, clock, actor=HEAD, ward=other, bed="1", name="李四", sex=Sex.MALE, age=Age(50)
        )
        await uow.commit()
    assert await _stamp(database, ward) == here  # another ward's change
    assert await _stamp(database, other) != there


async def test_a_board_with_a_transfer_pending_is_read_afresh_each_time(
    database: Database,
) -> None:
    # It shows the other ward's patient: her name corrected there is on it at once.
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        other = await create_ward(uow, clock, HEAD, bed_count=4, name="心内科")
        stay = await uow.stays.active_in_bed(ward.id, "2")
        assert stay is not None
        await offer_transfer(
            uow, clock, actor=HEAD, ward=ward, bed="2", stay_id=stay.id,
            target_ward_id=other.id, target_bed="3",
        )  # fmt: skip
        await uow.commit()
    async with database.uow() as uow:
        first = await load_board(uow, clock, ward=other)
    assert [a.name for a in first.arrivals] == ["欧阳明华"]
    async with database.uow() as uow:
        connection = await uow._session.connection()
        await connection.execute(
            text("UPDATE stays SET name = '欧阳明辉' WHERE id = :s"), {"s": stay.id}
        )
        await uow.commit()
    async with database.uow() as uow:
        again = await load_board(uow, clock, ward=other)
    assert [a.name for a in again.arrivals] == ["欧阳明辉"]


async def test_a_stay_never_changes_wards(database: Database) -> None:
    # What lets a tag, a line or a note version only its stay's ward.
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    other = await _other_ward(database, clock)
    with pytest.raises(DBAPIError, match="a stay does not change wards"):
        async with database.uow() as uow:
            connection = await uow._session.connection()
            await connection.execute(
                text("UPDATE stays SET ward_id = :o WHERE ward_id = :w"),
                {"o": other.id, "w": ward.id},
            )


async def _tag(database: Database, clock: ManualClock, ward: Ward, bed: str) -> Any:
    uow = database.uow()
    await uow.__aenter__()
    await bedside.tag_patient(uow, clock, actor=HEAD, ward=ward, bed=bed, word="防坠床")
    return uow


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_writers_of_one_ward_do_not_wait_for_each_other_nor_deadlock(
    database: Database,
) -> None:
    # PostgreSQL: a version is added to as a transaction commits, its rows locked in ward
    # order; held from the first write, a long transaction (the tasks' top-up of every
    # ward) would stop every nurse's change in those wards until it ends, and two writers
    # of two wards in opposite orders would deadlock.
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        other = await create_ward(uow, clock, HEAD, bed_count=4, name="心内科")
        await services.admit(
            uow, clock, actor=HEAD, ward=other, bed="1", name="李四", sex=Sex.MALE, age=Age(50)
        )
        await services.admit(
            uow, clock, actor=HEAD, ward=other, bed="2", name="王五", sex=Sex.MALE, age=Age(50)
        )
        await uow.commit()
    here, there = await _stamp(database, ward), await _stamp(database, other)
    first = await _tag(database, clock, ward, "2")  # ward, then other
    second = await _tag(database, clock, other, "1")  # other, then ward
    await bedside.tag_patient(first, clock, actor=HEAD, ward=other, bed="2", word="防跌倒")
    await asyncio.wait_for(
        bedside.tag_patient(second, clock, actor=HEAD, ward=ward, bed="5", word="防跌倒"), 5
    )
    await asyncio.wait_for(asyncio.gather(first.commit(), second.commit()), 10)
    for uow in (first, second):
        await uow.__aexit__(None, None, None)
    assert await _stamp(database, ward) == (*here[:2], here[2] + 2)
    assert await _stamp(database, other) == (*there[:2], there[2] + 2)


async def test_retention_forgets_the_kept_boards(database: Database) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    forget_boards()
    async with database.uow() as uow:
        first = await load_board(uow, clock, ward=ward)
    assert forget_patient_text() >= 1
    async with database.uow() as uow:
        assert await load_board(uow, clock, ward=ward) is not first


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "before",
    [
        "SET CONSTRAINTS ALL IMMEDIATE",  # the triggers fire as each statement ends
        "SELECT 1",  # deferred, as the bot writes
    ],
)
@pytest.mark.parametrize("between", ["RESET ALL", "SET LOCAL wardboard.board_touched = 'x,y'"])
async def test_every_committed_change_moves_its_version_however_the_transaction_runs(
    database: Database, before: str, between: str
) -> None:
    clock = ManualClock(NOW)
    ward = await _ward_with_patients(database, clock)
    async with database.uow() as uow:
        med = MedArgs(drug="头孢呋辛", dose="1.5g", route=Route.IVGTT, freq=Frequency.BID)
        await tasks.prescribe(uow, clock, actor=HEAD, ward=ward, bed="2", args=med)
        await uow.commit()
        connection = await uow._session.connection()
        count = "SELECT count(*) FROM task_occurrences WHERE ward_id = :w"
        assert (await connection.execute(text(count), {"w": ward.id})).scalar_one() > 0
    start = await _stamp(database, ward)
    async with database.uow() as uow:
        connection = await uow._session.connection()
        await connection.execute(text(before))
        await connection.execute(
            text("UPDATE task_occurrences SET status = 'done' WHERE ward_id = :w"),
            {"w": ward.id},
        )
        await connection.execute(text(between))  # what noted the ward is gone or garbled
        await connection.execute(
            text("UPDATE stays SET diagnosis = '肺炎' WHERE ward_id = :w"), {"w": ward.id}
        )
        await uow.commit()
    after = await _stamp(database, ward)
    assert after is not None and after[2] > start[2]
    # And a second transaction's change after the first's bump moves it again.
    async with database.uow() as uow:
        connection = await uow._session.connection()
        await connection.execute(text(before))
        await connection.execute(
            text("UPDATE task_occurrences SET status = 'pending' WHERE ward_id = :w"),
            {"w": ward.id},
        )
        await connection.execute(
            text("UPDATE task_occurrences SET status = 'done' WHERE ward_id = :w"),
            {"w": ward.id},
        )
        await uow.commit()
    again = await _stamp(database, ward)
    assert again is not None and again[2] > after[2]

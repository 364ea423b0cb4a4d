"""Unit of work and database guarantees: transactions, constraints, time zones, concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

import storage.uow as uow_module
from boards.errors import Conflict
from boards.model import Invite, Member, MemberStatus, Role, StayStatus
from boards.ports import UnitOfWorkFactory
from storage import Database, default_sqlite_url
from tests.storage.factories import BIG_CHAT, NOW, SHANGHAI, add_ward, stay

__all__: list[str] = []


class _Boom(Exception):
    pass


def test_database_uow_is_the_domain_factory(database: Database) -> None:
    factory: UnitOfWorkFactory = database.uow
    assert factory() is not factory()


def test_default_sqlite_url(tmp_path: Path) -> None:
    assert default_sqlite_url(tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/wardboard.db"


async def test_commit_persists(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.wards.get(ward.id) == ward


async def test_leaving_without_commit_rolls_back(database: Database) -> None:
    async with database.uow() as uow:
        await add_ward(uow)
    async with database.uow() as uow:
        assert await uow.wards.by_name("普外科一病区") is None


async def test_exception_rolls_back_everything(database: Database) -> None:
    with pytest.raises(_Boom):
        async with database.uow() as uow:
            ward = await add_ward(uow)
            await uow.stays.add(stay(ward.id, "1"))
            await uow.members.put(Member(ward.id, 1, "李", Role.HEAD, MemberStatus.APPROVED, NOW))
            raise _Boom
    async with database.uow() as uow:
        assert await uow.wards.by_name("普外科一病区") is None
        assert await uow.members.of_user(1) == []


async def test_work_after_commit_is_discarded_without_another_commit(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.commit()
        await add_ward(uow, "心内科")
    async with database.uow() as uow:
        assert await uow.wards.get(ward.id) == ward
        assert await uow.wards.by_name("心内科") is None


async def test_one_active_stay_per_bed(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "心内科")
        first = await uow.stays.add(stay(ward.id, "7"))
        # Same bed number in another ward is another bed.
        await uow.stays.add(stay(other.id, "7"))
        await uow.commit()

    with pytest.raises(Conflict):
        async with database.uow() as uow:
            await uow.stays.add(stay(ward.id, "7", name="李四"))

    async with database.uow() as uow:
        await uow.stays.update(
            dataclasses.replace(first, status=StayStatus.DISCHARGED, ended_at=NOW)
        )
        second = await uow.stays.add(stay(ward.id, "7", name="李四"))
        await uow.commit()

    # Moving a patient into an occupied bed is refused just the same.
    async with database.uow() as uow:
        third = await uow.stays.add(stay(ward.id, "8", name="王五"))
        with pytest.raises(Conflict):
            await uow.stays.update(dataclasses.replace(third, bed="7"))

    async with database.uow() as uow:
        assert [s.name for s in await uow.stays.active(ward.id)] == ["李四"]
        assert await uow.stays.active_in_bed(ward.id, "7") == second


@pytest.mark.parametrize("field", ["name", "group_chat_id"])
async def test_ward_name_and_group_are_unique(database: Database, field: str) -> None:
    async with database.uow() as uow:
        first = await add_ward(uow)
        second = await add_ward(uow, "心内科")
        first = await uow.wards.update(dataclasses.replace(first, group_chat_id=BIG_CHAT))
        await uow.commit()
    with pytest.raises(Conflict):
        async with database.uow() as uow:
            await uow.wards.update(dataclasses.replace(second, **{field: getattr(first, field)}))


async def test_stay_tokens_are_unique(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        first = await uow.stays.add(stay(ward.id, "1"))
        await uow.commit()
    with pytest.raises(Conflict):
        async with database.uow() as uow:
            await uow.stays.add(dataclasses.replace(stay(ward.id, "2"), token=first.token))


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(Conflict):
        async with database.uow() as uow:
            await uow.invites.add(Invite("code", 404, 1, NOW, NOW))


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.uow() as uow:
            await uow.wards.add(
                name="儿科",
                timezone="Asia/Shanghai",
                locale="zh_CN",
                created_at=datetime(2025, 1, 1, 8, 0),
                bed_count=None,
            )


async def test_written_and_read_datetimes_are_utc(database: Database) -> None:
    local = NOW.astimezone(SHANGHAI)
    async with database.uow() as uow:
        ward = await uow.wards.add(
            name="儿科", timezone="Asia/Shanghai", locale="zh_CN", created_at=local, bed_count=None
        )
        await uow.commit()
    async with database.uow() as uow:
        again = await uow.wards.get(ward.id)
    assert again is not None
    for value in (ward.created_at, again.created_at):
        assert value == NOW
        assert value.tzinfo is UTC


async def test_concurrent_writers_wait_for_each_other(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.commit()

    async def admit(bed: str) -> None:
        async with database.uow() as uow:
            # Read first, as every service does: on SQLite this is what used to fail with
            # "database is locked" once the other writer committed.
            assert await uow.wards.get(ward.id) is not None
            await asyncio.sleep(0.05)
            await uow.stays.add(stay(ward.id, bed))
            await uow.commit()

    await asyncio.gather(admit("1"), admit("2"), admit("3"))
    async with database.uow() as uow:
        assert [s.bed for s in await uow.stays.active(ward.id)] == ["1", "2", "3"]


async def test_two_nurses_admitting_to_one_bed_at_once(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.commit()

    async def admit(name: str) -> None:
        async with database.uow() as uow:
            # Both see the bed empty (the service's check) before either writes.
            if await uow.stays.active_in_bed(ward.id, "5") is None:
                await asyncio.sleep(0.05)
                await uow.stays.add(stay(ward.id, "5", name=name))
                await uow.commit()

    results = await asyncio.gather(admit("张三"), admit("李四"), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) + results.count(None) == 2
    async with database.uow() as uow:
        assert len(await uow.stays.active(ward.id)) == 1


async def _terminate_other_backends(database_url: str) -> None:
    """What a server restart does to the pool's connections: closed under it."""
    admin = Database(database_url)
    async with admin._engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        await connection.commit()
    await admin.dispose()


async def test_a_connection_closed_while_idle_is_replaced_before_use(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose the connection")
    async with database.uow() as uow:
        await add_ward(uow)
        await uow.commit()
    await _terminate_other_backends(database_url)
    # Idle past the threshold: tested on checkout, replaced, and the work goes through.
    monkeypatch.setattr(uow_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    async with database.uow() as uow:
        assert len(await uow.wards.all()) == 1
    # Back from use a moment ago: not tested, so a server that went away meanwhile costs
    # that one transaction, and the pool renews the rest.
    monkeypatch.setattr(uow_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    await _terminate_other_backends(database_url)
    with pytest.raises(DBAPIError):
        async with database.uow() as uow:
            await uow.wards.all()
    async with database.uow() as uow:
        assert len(await uow.wards.all()) == 1

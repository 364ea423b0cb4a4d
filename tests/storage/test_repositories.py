"""Every repository method round-trips through a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from boards.model import (
    Age,
    AuditEntry,
    BoardItem,
    Critical,
    Invite,
    ItemKind,
    Member,
    MemberStatus,
    NursingLevel,
    Role,
    Sex,
    StayStatus,
    Surgery,
    SurgeryState,
    UserPrefs,
)
from storage import Database
from storage.models.core import StayRow
from storage.repositories import SqlStays
from tests.storage.factories import BIG_CHAT, BIG_USER, NOW, SHANGHAI, add_ward, stay

__all__: list[str] = []


async def test_wards_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "骨科", bed_count=None)
        await uow.commit()
    assert ward.id != other.id
    assert (ward.name, ward.timezone, ward.locale, ward.bed_count) == (
        "普外科一病区",
        "Asia/Shanghai",
        "zh_CN",
        40,
    )
    assert ward.group_chat_id is None and ward.board_message_id is None

    bound = dataclasses.replace(ward, group_chat_id=BIG_CHAT, board_message_id=2**31 + 5)
    async with database.uow() as uow:
        assert await uow.wards.update(bound) == bound
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.wards.get(ward.id) == bound
        assert await uow.wards.get(ward.id + 1000) is None
        assert await uow.wards.by_name("骨科") == other
        assert await uow.wards.by_name("nowhere") is None
        assert await uow.wards.by_group(BIG_CHAT) == bound
        assert await uow.wards.by_group(-1) is None
        assert await uow.wards.with_group() == [bound]
        assert await uow.wards.many([other.id, 999, ward.id, other.id]) == [other, bound]
        assert await uow.wards.many([]) == []


async def test_ward_update_of_missing_ward_is_a_bug(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        with pytest.raises(LookupError):
            await uow.wards.update(dataclasses.replace(ward, id=ward.id + 1))


async def test_members_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        first = await add_ward(uow)
        second = await add_ward(uow, "心内科")
        head = Member(first.id, BIG_USER, "李护士长", Role.HEAD, MemberStatus.APPROVED, NOW)
        nurse = Member(first.id, 42, "王护士", Role.NURSE, MemberStatus.PENDING, NOW)
        elsewhere = Member(second.id, BIG_USER, "李", Role.NURSE, MemberStatus.APPROVED, NOW)
        for member in (nurse, head, elsewhere):
            assert await uow.members.put(member) == member
        await uow.commit()

    approved = dataclasses.replace(
        nurse, status=MemberStatus.APPROVED, updated_at=NOW + timedelta(minutes=5)
    )
    async with database.uow() as uow:
        assert await uow.members.put(approved) == approved
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.members.get(first.id, 42) == approved
        assert await uow.members.get(second.id, 42) is None
        assert await uow.members.of_ward(first.id) == [approved, head]
        assert await uow.members.of_user(BIG_USER) == [head, elsewhere]
        assert await uow.members.of_user(1) == []


async def test_invites_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        invite = Invite("AbC-123_xyz", ward.id, BIG_USER, NOW, NOW + timedelta(hours=48))
        assert await uow.invites.add(invite) == invite
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.invites.get("AbC-123_xyz") == invite
        # Codes are secrets: the lookup is exact, case included.
        assert await uow.invites.get("abc-123_xyz") is None


async def test_users_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        assert await uow.users.get(BIG_USER) is None
        assert await uow.users.put(UserPrefs(BIG_USER)) == UserPrefs(BIG_USER)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.users.get(BIG_USER) == UserPrefs(BIG_USER)
        changed = UserPrefs(BIG_USER, current_ward_id=ward.id, locale="zh_TW")
        assert await uow.users.put(changed) == changed
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.users.get(BIG_USER) == changed


async def test_stays_round_trip_every_field(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        given = dataclasses.replace(
            stay(ward.id, "+1", name="欧阳小明"),
            id=12345,
            sex=Sex.FEMALE,
            age=Age(3, "m"),
            diagnosis="胆囊结石伴慢性胆囊炎",
            level=NursingLevel.SPECIAL,
            critical=Critical.SERIOUS,
            transferred_from="急诊科",
        )
        stored = await uow.stays.add(given)
        await uow.commit()
    # The id is the database's, not the caller's.
    assert stored.id != 12345
    assert stored == dataclasses.replace(given, id=stored.id)

    ended = dataclasses.replace(
        stored,
        status=StayStatus.TRANSFERRED,
        ended_at=NOW + timedelta(days=2),
        transferred_to="ICU",
        critical=None,
        level=NursingLevel.ONE,
        token="new-token",
    )
    async with database.uow() as uow:
        assert await uow.stays.update(ended) == ended
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.stays.get(stored.id) == ended
        assert await uow.stays.get(stored.id + 1) is None
        with pytest.raises(LookupError):
            await uow.stays.update(dataclasses.replace(ended, id=stored.id + 1))


async def test_stay_by_token(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        admitted = await uow.stays.add(stay(ward.id, "3"))
        await uow.commit()
    async with database.uow() as uow:
        assert isinstance(uow.stays, SqlStays)
        assert await uow.stays.by_token(admitted.token) == admitted
        assert await uow.stays.by_token("unknown") is None


async def test_active_stays_in_ward_bed_order(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "心内科")
        for bed in ("10", "+2", "2", "+1", "1", "21"):
            await uow.stays.add(stay(ward.id, bed))
        await uow.stays.add(stay(other.id, "5"))
        gone = await uow.stays.add(stay(ward.id, "3"))
        await uow.stays.update(
            dataclasses.replace(gone, status=StayStatus.DISCHARGED, ended_at=NOW)
        )
        await uow.commit()
    async with database.uow() as uow:
        active = await uow.stays.active(ward.id)
        assert [s.bed for s in active] == ["1", "2", "10", "21", "+1", "+2"]
        assert all(s.active and s.ward_id == ward.id for s in active)
        assert (await uow.stays.active_in_bed(ward.id, "10") or active[0]).bed == "10"
        assert await uow.stays.active_in_bed(ward.id, "3") is None
        assert await uow.stays.active_in_bed(other.id, "10") is None
        assert await uow.stays.active(ward.id + 1000) == []


async def test_ended_since(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "心内科")
        start = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
        ends = {
            "1": start - timedelta(microseconds=1),
            "2": start,
            "3": start + timedelta(hours=9),
        }
        ended = {}
        for bed, at in ends.items():
            admitted = await uow.stays.add(stay(ward.id, bed))
            ended[bed] = await uow.stays.update(
                dataclasses.replace(admitted, status=StayStatus.DISCHARGED, ended_at=at)
            )
        elsewhere = await uow.stays.add(stay(other.id, "1"))
        await uow.stays.update(
            dataclasses.replace(elsewhere, status=StayStatus.DISCHARGED, ended_at=start)
        )
        await uow.stays.add(stay(ward.id, "4"))
        await uow.commit()
    async with database.uow() as uow:
        # The bound is inclusive, and the same instant written in another zone is equal.
        assert await uow.stays.ended_since(ward.id, start) == [ended["2"], ended["3"]]
        assert await uow.stays.ended_since(ward.id, start.astimezone(SHANGHAI)) == [
            ended["2"],
            ended["3"],
        ]
        assert await uow.stays.ended_since(ward.id, start + timedelta(days=1)) == []
        # The board's one read: the same two lists, whichever half a stay is in.
        active, since = await uow.stays.on_board(ward.id, start)
        assert [s.bed for s in active] == ["4"] and active == await uow.stays.active(ward.id)
        assert since == [ended["2"], ended["3"]]
        assert await uow.stays.on_board(other.id, start + timedelta(hours=1)) == ([], [])


async def test_a_read_sees_what_the_same_unit_of_work_has_not_flushed(
    database: Database,
) -> None:
    # The board's reads run past the ORM (storage/repositories/_base.py `_plain_rows`);
    # like the ORM they flush the unit of work's pending changes first.
    async with database.uow() as uow:
        ward = await add_ward(uow)
        admitted = await uow.stays.add(stay(ward.id, "5"))
        row = await uow._session.get(StayRow, admitted.id)
        assert row is not None
        row.bed = "6"  # changed, not flushed
        moved = await uow.stays.active(ward.id)
        assert [s.bed for s in moved] == ["6"]
        assert await uow.stays.active_in_bed(ward.id, "5") is None


async def test_surgeries_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        first = await uow.stays.add(stay(ward.id, "1"))
        second = await uow.stays.add(stay(ward.id, "2"))
        third = await uow.stays.add(stay(ward.id, "3"))
        late = await uow.surgeries.add(
            Surgery(
                0,
                first.id,
                NOW + timedelta(hours=5),
                "腹腔镜胆囊切除术",
                SurgeryState.SCHEDULED,
                NOW,
            )
        )
        early = await uow.surgeries.add(
            Surgery(
                0, second.id, NOW + timedelta(hours=1), "阑尾切除术", SurgeryState.SCHEDULED, NOW
            )
        )
        await uow.surgeries.add(Surgery(0, third.id, NOW, "疝修补术", SurgeryState.SCHEDULED, NOW))
        await uow.commit()
    assert late.id != early.id and late.procedure == "腹腔镜胆囊切除术"

    moved = dataclasses.replace(
        late, state=SurgeryState.IN_THEATRE, scheduled_at=NOW, updated_at=NOW + timedelta(hours=1)
    )
    async with database.uow() as uow:
        assert await uow.surgeries.update(moved) == moved
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.surgeries.of_stays([second.id, first.id]) == [moved, early]
        assert await uow.surgeries.of_stays([]) == []
        with pytest.raises(LookupError):
            await uow.surgeries.update(dataclasses.replace(moved, id=moved.id + 100))


async def test_board_items_between_is_half_open(database: Database) -> None:
    start = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    async with database.uow() as uow:
        ward = await add_ward(uow)
        patient = await uow.stays.add(stay(ward.id, "1"))
        neighbour = await uow.stays.add(stay(ward.id, "2"))
        items = {}
        for label, stay_id, at in (
            ("before", patient.id, start - timedelta(microseconds=1)),
            ("at_start", patient.id, start),
            ("noon", patient.id, start + timedelta(hours=12)),
            ("neighbour", neighbour.id, start + timedelta(hours=1)),
            ("at_end", patient.id, end),
        ):
            given = BoardItem(0, stay_id, ItemKind.EXAM, at, f"CT 检查前禁食 {label}", BIG_USER)
            items[label] = await uow.items.add(given)
            assert items[label] == dataclasses.replace(given, id=items[label].id)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.items.of_stays_between([patient.id], start, end) == [
            items["at_start"],
            items["noon"],
        ]
        assert await uow.items.of_stays_between(
            [patient.id, neighbour.id], start.astimezone(SHANGHAI), end
        ) == [items["at_start"], items["neighbour"], items["noon"]]
        assert await uow.items.of_stays_between([], start, end) == []


async def test_audit_log_newest_first(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "心内科")
        entries = [
            AuditEntry(
                ward.id,
                BIG_USER,
                NOW + timedelta(minutes=i),
                "stay.admit",
                f"bed {i}",
                before=None if i == 0 else {"bed": str(i), "name": "张三", "critical": None},
                after={"bed": str(i), "nested": {"tags": ["防跌倒", "过敏"]}, "n": 1.5},
            )
            for i in range(3)
        ]
        for entry in entries:
            await uow.audit.add(entry)
        await uow.audit.add(AuditEntry(other.id, 1, NOW, "ward.create", "心内科"))
        await uow.audit.add(AuditEntry(None, 1, NOW, "user.locale", "1"))
        await uow.commit()
    async with database.uow() as uow:
        newest = await uow.audit.of_ward(ward.id)
        # AuditEntry ignores its id in comparisons; the database fills it in.
        assert newest == entries[::-1]
        assert all(e.id is not None for e in newest)
        assert newest[-1].before is None
        assert await uow.audit.of_ward(ward.id, limit=2) == entries[:0:-1]
        assert [e.action for e in await uow.audit.of_ward(other.id)] == ["ward.create"]


async def test_many_stays_in_one_go(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        first = await uow.stays.add(stay(ward.id, "1"))
        second = await uow.stays.add(stay(ward.id, "2", name="李四"))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.stays.many([second.id, first.id, 999_999]) == [first, second]
        assert await uow.stays.many([]) == []
        # More ids than either driver binds in one statement (32,766 in SQLite, 32,767 in
        # asyncpg): they go as one parameter.
        many = [*range(10**6, 10**6 + 40_000), second.id]
        assert await uow.stays.many(many) == [second]

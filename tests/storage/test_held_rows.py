"""Rows read once a unit of work (her preferences, her dialogue, her wards) are never
served stale: a write in the same unit of work is what the next read sees."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import event

from boards.model import DialogueState, Member, MemberStatus, Role, UserPrefs
from storage import Database
from tests.storage.factories import BIG_USER, NOW, add_ward

__all__: list[str] = []


async def test_a_ward_changed_after_her_memberships_were_read_reads_changed(
    database: Database,
) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.members.put(
            Member(ward.id, BIG_USER, "李娜", Role.NURSE, MemberStatus.APPROVED, NOW)
        )
        await uow.commit()
    async with database.uow() as uow:
        [mine] = await uow.members.of_user(BIG_USER)  # brings the ward along
        assert (await uow.wards.get(ward.id)) == ward
        await uow.wards.update(dataclasses.replace(ward, name="普外科二病区", bed_count=50))
        again = await uow.wards.get(ward.id)
        assert again is not None and (again.name, again.bed_count) == ("普外科二病区", 50)
        await uow.wards.set_his_code(ward.id, "GS2")
        coded = await uow.wards.get(ward.id)
        assert coded is not None and coded.his_code == "GS2"
        # Her membership changed in the same unit of work: the check reads the change.
        await uow.members.put(dataclasses.replace(mine, status=MemberStatus.REMOVED))
        member = await uow.members.get(ward.id, BIG_USER)
        assert member is not None and member.status is MemberStatus.REMOVED
        assert await uow.members.get(ward.id + 1, BIG_USER) is None  # not hers: known


async def test_her_dialogue_read_with_her_preferences_follows_its_writes(
    database: Database,
) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.users.put(UserPrefs(BIG_USER, current_ward_id=ward.id, locale="en"))
        await uow.commit()
    state = DialogueState(BIG_USER, "note", ward.id, ("12",), 1, (("12", 3),), NOW)
    async with database.uow() as uow:
        prefs = await uow.users.get(BIG_USER, chat_id=BIG_USER)
        assert prefs is not None and prefs.locale == "en"
        assert await uow.dialogues.get(BIG_USER) is None  # known absent: no query
        await uow.dialogues.put(state)
        assert await uow.dialogues.get(BIG_USER) == state
        await uow.dialogues.delete(BIG_USER)
        assert await uow.dialogues.get(BIG_USER) is None
        await uow.dialogues.put(state)
        await uow.commit()
    async with database.uow() as uow:
        # Neither row there for a stranger; both there for her.
        assert await uow.users.get(BIG_USER + 1, chat_id=BIG_USER + 1) is None
        assert await uow.dialogues.get(BIG_USER + 1) is None
        prefs = await uow.users.get(BIG_USER, chat_id=BIG_USER)
        assert prefs is not None and prefs.current_ward_id == ward.id
        assert await uow.dialogues.get(BIG_USER) == state


async def test_her_opening_read_answers_her_wards_and_memberships_in_one_statement(
    database: Database,
) -> None:
    """A private update's first read brings her preferences, her chat's dialogue, her
    memberships and their wards in one statement; what the command asks next is answered
    from it, and a write of her membership is read again."""
    async with database.uow() as uow:
        first = await add_ward(uow)
        second = await add_ward(uow, "心内科病区", 30)
        await uow.members.put(
            Member(first.id, BIG_USER, "李娜", Role.NURSE, MemberStatus.APPROVED, NOW)
        )
        await uow.members.put(
            Member(second.id, BIG_USER, "李娜", Role.NURSE, MemberStatus.PENDING, NOW)
        )
        await uow.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def selects(since: int) -> int:
        return sum(1 for text in statements[since:] if text.lstrip().startswith("SELECT"))

    engine = database._engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with database.uow() as uow:
            assert await uow.users.get(BIG_USER, chat_id=BIG_USER, memberships=True) is None
            opening = len(statements)
            assert selects(0) == 1
            mine = await uow.members.of_user(BIG_USER)
            assert [(m.ward_id, m.status) for m in mine] == [
                (first.id, MemberStatus.APPROVED),
                (second.id, MemberStatus.PENDING),
            ]
            assert await uow.wards.get(second.id) == second
            assert await uow.members.get(first.id, BIG_USER) == mine[0]
            assert await uow.members.get(first.id + second.id, BIG_USER) is None
            assert await uow.dialogues.get(BIG_USER) is None
            assert len(statements) == opening  # all answered by the opening read
            await uow.members.put(dataclasses.replace(mine[1], status=MemberStatus.APPROVED))
            again = await uow.members.of_user(BIG_USER)
            assert [m.status for m in again] == [MemberStatus.APPROVED] * 2
        async with database.uow() as uow:
            # A stranger: no preferences, no dialogue, no memberships, in one statement too.
            before = len(statements)
            assert await uow.users.get(7, chat_id=7, memberships=True) is None
            assert await uow.members.of_user(7) == []
            assert await uow.dialogues.get(7) is None
            assert selects(before) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)

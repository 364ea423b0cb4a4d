"""The ward group's services on both databases: moves, problems told once, claims held back."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boards import groups, services, tasks
from boards.access import Actor
from boards.clock import ManualClock
from boards.groups import GroupProblem
from boards.model import Age, Member, MemberStatus, Role, Sex, Ward
from boards.schedule import Frequency, Route
from storage.uow import Database
from tests.storage.factories import create_ward

HEAD = Actor(7, "王芳")
NURSE = Actor(42, "李娜")
BOT = Actor(123456, "wardboard_bot")
OLD = -4518810793
NEW = -1002471352452
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@dataclasses.dataclass
class Ctx:
    db: Database
    clock: ManualClock
    ward: Ward

    async def run(self, service: Any, **kwargs: Any) -> Any:
        async with self.db.uow() as uow:
            result = await service(uow, self.clock, **kwargs)
            await uow.commit()
            return result

    async def current(self) -> Ward:
        async with self.db.uow() as uow:
            ward = await uow.wards.get(self.ward.id)
        assert ward is not None
        return ward

    async def state(self, problem: GroupProblem | None, chat_id: int = OLD) -> Any:
        return await self.run(
            groups.note_group_state,
            actor=BOT,
            ward_id=self.ward.id,
            chat_id=chat_id,
            problem=problem,
        )

    async def audit(self) -> list[tuple[str, Any, Any]]:
        async with self.db.uow() as uow:
            entries = await uow.audit.of_ward(self.ward.id)
        return [
            (e.action, e.before, e.after)
            for e in reversed(entries)
            if e.action.startswith("ward:group")
        ]

    async def claim(self) -> list[Any]:
        async with self.db.uow() as uow:
            claimed = await tasks.claim_due(uow, now=self.clock.now(), owner="a")
            await uow.commit()
            return claimed


@pytest.fixture
async def ctx(database: Database) -> AsyncIterator[Ctx]:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD)
        await uow.members.put(
            Member(ward.id, NURSE.user_id, NURSE.name, Role.NURSE, MemberStatus.APPROVED, NOW)
        )
        ward = await services.bind_group(uow, clock, actor=HEAD, ward=ward, chat_id=OLD)
        ward = await uow.wards.update(dataclasses.replace(ward, board_message_id=5))
        await uow.commit()
    yield Ctx(database, clock, ward)


async def test_a_group_moves_once_however_often_it_is_reported(ctx: Ctx) -> None:
    move = dict(actor=BOT, ward_id=ctx.ward.id, old_chat_id=OLD, new_chat_id=NEW)
    first = await ctx.run(groups.move_group, **move)
    assert first.moved and first.ward.group_chat_id == NEW
    assert first.ward.board_message_id is None  # the board is posted again in the new chat
    again = await ctx.run(groups.move_group, **move)
    assert not again.moved and again.ward == first.ward
    assert await ctx.audit() == [("ward:group_move", {"group": OLD}, {"group": NEW})]
    # A report about some other chat moves nothing.
    stale = dict(move, old_chat_id=-99, new_chat_id=-1002000000009)
    assert await ctx.run(groups.move_group, **stale) is None
    async with ctx.db.uow() as uow:
        assert await uow.wards.by_group(NEW) is not None


async def test_a_new_chat_another_ward_holds_is_not_taken(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        other = await create_ward(uow, ctx.clock, HEAD, "骨科")
        await services.bind_group(uow, ctx.clock, actor=HEAD, ward=other, chat_id=NEW)
        await uow.commit()
    move = dict(actor=BOT, ward_id=ctx.ward.id, old_chat_id=OLD, new_chat_id=NEW)
    assert await ctx.run(groups.move_group, **move) is None
    assert (await ctx.current()).group_chat_id == OLD


async def test_each_problem_is_a_change_once_and_its_end_reposts_the_board(ctx: Ctx) -> None:
    removed = await ctx.state(GroupProblem.REMOVED)
    assert removed.problem is GroupProblem.REMOVED and not removed.repost
    assert [h.user_id for h in removed.heads] == [HEAD.user_id]
    assert removed.ward.group_problem_since == NOW
    assert removed.ward.board_message_id == 5
    assert await ctx.state(GroupProblem.REMOVED) is None  # told once
    ctx.clock.advance(timedelta(minutes=7))
    # Added back without the pin right: the bot posts again, so the board is posted afresh.
    no_pin = await ctx.state(GroupProblem.NO_PIN)
    assert no_pin.problem is GroupProblem.NO_PIN and no_pin.repost
    assert no_pin.ward.board_message_id is None
    assert no_pin.ward.group_problem_since == NOW + timedelta(minutes=7)
    back = await ctx.state(None)
    assert back.problem is None and back.repost
    assert (back.ward.group_problem, back.ward.group_problem_since) == (None, None)
    assert await ctx.state(None) is None
    # A report about a chat the ward has left behind changes nothing.
    assert await ctx.state(GroupProblem.REMOVED, chat_id=-99) is None
    assert await ctx.audit() == [
        ("ward:group_problem", {"problem": None}, {"problem": "removed"}),
        ("ward:group_problem", {"problem": "removed"}, {"problem": "no_pin"}),
        ("ward:group_back", {"problem": "no_pin"}, {"problem": None}),
    ]


async def test_no_claims_for_a_group_the_bot_was_removed_from(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        stay = await services.admit(
            uow,
            ctx.clock,
            actor=NURSE,
            ward=ctx.ward,
            bed="12",
            name="张三",
            sex=Sex.MALE,
            age=Age(45),
        )
        await tasks.prescribe(
            uow,
            ctx.clock,
            actor=NURSE,
            ward=ctx.ward,
            bed=stay.bed,
            args=tasks.MedArgs(drug="阿莫西林", dose="0.5g", route=Route.PO, freq=Frequency.BID),
        )
        await uow.commit()
    ctx.clock.advance(timedelta(hours=9))  # 17:00 in Shanghai: the 08:00 and 16:00 doses
    await ctx.state(GroupProblem.REMOVED)
    assert await ctx.claim() == []
    await ctx.state(GroupProblem.NO_PIN)  # posting works without the pin right
    claimed = await ctx.claim()
    assert len(claimed) == 2 and all(t.late for t in claimed)
    async with ctx.db.uow() as uow:
        await tasks.release(uow, task_ids=[t.id for t in claimed], owner="a")
        await uow.commit()
    await ctx.state(GroupProblem.REMOVED)
    assert await ctx.claim() == []
    # Binding the ward to a group again starts clean.
    await ctx.run(services.bind_group, actor=HEAD, ward=await ctx.current(), chat_id=NEW)
    assert (await ctx.current()).group_problem is None
    assert len(await ctx.claim()) == 2

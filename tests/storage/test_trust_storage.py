"""Operators, transfers, invites with uses, group problems: round trips on both backends."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from boards.errors import Conflict
from boards.model import (
    Invite,
    Member,
    MemberStatus,
    Operator,
    Role,
    Transfer,
    TransferState,
    UserPrefs,
)
from storage import Database
from tests.storage.factories import BIG_USER, NOW, add_ward, stay

__all__: list[str] = []


async def test_operators_add_list_remove(database: Database) -> None:
    async with database.uow() as uow:
        await uow.operators.add(Operator(BIG_USER, NOW, None, "IT"))
        await uow.operators.add(Operator(42, NOW, BIG_USER))
        await uow.commit()
    async with database.uow() as uow:
        assert [o.user_id for o in await uow.operators.all()] == [42, BIG_USER]
        got = await uow.operators.get(BIG_USER)
        assert got == Operator(BIG_USER, NOW, None, "IT")
        assert await uow.operators.remove(42)
        assert not await uow.operators.remove(42)
        await uow.commit()
    async with database.uow() as uow:
        assert [o.user_id for o in await uow.operators.all()] == [BIG_USER]


async def test_invite_uses_are_counted_once_each_and_revoked(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        invite = Invite("abc", ward.id, BIG_USER, NOW, NOW + timedelta(hours=48), max_uses=2)
        await uow.invites.add(invite)
        await uow.invites.add(dataclasses.replace(invite, code="def", max_uses=1))
        await uow.commit()
    async with database.uow() as uow:
        first = await uow.invites.use("abc")
        second = await uow.invites.use("abc")
        assert first is not None and first.uses == 1
        assert second is not None and second.uses == 2 and not second.usable(NOW)
        assert await uow.invites.use("abc") is None
        assert await uow.invites.revoke_all(ward.id, at=NOW) == 1  # "def"; "abc" is used up
        assert await uow.invites.use("def") is None
        await uow.commit()
    async with database.uow() as uow:
        gone = await uow.invites.get("def")
        assert gone is not None and gone.revoked_at == NOW and not gone.usable(NOW)


async def test_members_keep_username_and_prefs_keep_the_notes_warning(
    database: Database,
) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        member = Member(ward.id, BIG_USER, "李娜", Role.NURSE, MemberStatus.PENDING, NOW, "lina")
        await uow.members.put(member)
        await uow.users.put(UserPrefs(BIG_USER, ward.id, "en", notes_warned_at=NOW))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.members.get(ward.id, BIG_USER) == member
        prefs = await uow.users.get(BIG_USER)
        assert prefs is not None and prefs.notes_warned_at == NOW


async def test_ward_group_problem_round_trips(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        await uow.wards.update(
            dataclasses.replace(ward, group_problem="removed", group_problem_since=NOW)
        )
        await uow.commit()
    async with database.uow() as uow:
        got = await uow.wards.get(ward.id)
        assert got is not None and (got.group_problem, got.group_problem_since) == (
            "removed",
            NOW,
        )
        assert [w.name for w in await uow.wards.all()] == ["普外科一病区"]


async def test_one_pending_transfer_per_stay_and_decided_once(database: Database) -> None:
    async with database.uow() as uow:
        a = await add_ward(uow)
        b = await add_ward(uow, "骨科病区")
        patient = await uow.stays.add(stay(a.id, "12"))
        offer = Transfer(0, patient.id, a.id, b.id, "5", TransferState.PENDING, BIG_USER, NOW)
        saved = await uow.transfers.add(offer)
        await uow.commit()
    async with database.uow() as uow:
        with pytest.raises(Conflict):
            await uow.transfers.add(offer)
    async with database.uow() as uow:
        assert [t.id for t in await uow.transfers.pending_to(b.id)] == [saved.id]
        assert [t.id for t in await uow.transfers.pending_from(a.id)] == [saved.id]
        assert await uow.transfers.pending_to(a.id) == []
        done = await uow.transfers.decide(
            saved.id, state=TransferState.REJECTED, by=7, at=NOW + timedelta(minutes=5)
        )
        assert done is not None and done.state is TransferState.REJECTED and done.decided_by == 7
        again = await uow.transfers.decide(saved.id, state=TransferState.ACCEPTED, by=8, at=NOW)
        assert again is None
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.transfers.pending_to(b.id) == []
        # A decided offer no longer blocks a new one for the same patient.
        await uow.transfers.add(offer)
        await uow.commit()

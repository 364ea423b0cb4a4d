"""A ward's invites listed, and revoking counts only the links that still worked."""

from __future__ import annotations

from datetime import timedelta

from boards.model import Invite
from storage import Database
from tests.storage.factories import BIG_USER, NOW, add_ward

__all__: list[str] = []


async def test_of_ward_lists_every_invite_of_that_ward_only(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "骨科病区")
        later = NOW + timedelta(minutes=5)
        await uow.invites.add(Invite("b-late", ward.id, BIG_USER, later, later, max_uses=3))
        await uow.invites.add(Invite("a-early", ward.id, BIG_USER, NOW, NOW + timedelta(hours=1)))
        await uow.invites.add(Invite("elsewhere", other.id, BIG_USER, NOW, NOW))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.invites.use("a-early") is not None
        await uow.commit()
    async with database.uow() as uow:
        listed = await uow.invites.of_ward(ward.id)
        assert [(i.code, i.max_uses, i.uses) for i in listed] == [
            ("a-early", 1, 1),
            ("b-late", 3, 0),
        ]
        assert [i.code for i in await uow.invites.of_ward(other.id)] == ["elsewhere"]
        assert await uow.invites.of_ward(other.id + 100) == []


async def test_revoke_all_leaves_expired_and_used_up_links_alone(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        hour = timedelta(hours=1)
        await uow.invites.add(Invite("open", ward.id, BIG_USER, NOW, NOW + hour, max_uses=5))
        await uow.invites.add(Invite("expired", ward.id, BIG_USER, NOW - 3 * hour, NOW - hour))
        await uow.invites.add(Invite("used", ward.id, BIG_USER, NOW, NOW + hour, uses=1))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.invites.revoke_all(ward.id, at=NOW) == 1
        await uow.commit()
    async with database.uow() as uow:
        revoked = {i.code: i.revoked_at for i in await uow.invites.of_ward(ward.id)}
        assert revoked == {"open": NOW, "expired": None, "used": None}
        assert await uow.invites.revoke_all(ward.id, at=NOW) == 0

"""The handovers table: claimed once per ward and shift, leases, posting, 接班, reminders."""

from __future__ import annotations

from datetime import timedelta

from storage.uow import Database
from tests.storage.factories import BIG_CHAT, BIG_USER, NOW, SHANGHAI, add_ward

START = NOW - timedelta(hours=8)
LEASE = NOW + timedelta(minutes=5)


async def test_one_claim_per_ward_and_shift_until_its_lease_runs_out(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        claim = dict(ward_id=ward.id, shift_code="night", shift_start=START, shift_end=NOW)
        first = await uow.handovers.claim(**claim, owner="a", now=NOW, lease_until=LEASE)
        assert first is not None and first.claimed_by == "a"
        assert await uow.handovers.claim(**claim, owner="b", now=NOW, lease_until=LEASE) is None
        # "a" died before posting: once its lease ran out, "b" may post.
        later = LEASE + timedelta(seconds=1)
        taken = await uow.handovers.claim(**claim, owner="b", now=later, lease_until=later)
        assert taken is not None and (taken.id, taken.claimed_by) == (first.id, "b")
        assert not await uow.handovers.mark_posted(
            first.id, owner="a", chat_id=BIG_CHAT, message_ids=[1], at=NOW, handed_over_by=None
        )
        assert await uow.handovers.mark_posted(
            first.id,
            owner="b",
            chat_id=BIG_CHAT,
            message_ids=[7, 8],
            at=later,
            handed_over_by=BIG_USER,
        )
        # Posted: nobody claims it again, however late.
        far = later + timedelta(days=1)
        assert await uow.handovers.claim(**claim, owner="c", now=far, lease_until=far) is None
        await uow.commit()
    async with database.uow() as uow:
        posted = await uow.handovers.get(first.id)
    assert posted is not None
    assert (posted.chat_id, posted.message_ids, posted.handed_over_by) == (
        BIG_CHAT,
        (7, 8),
        BIG_USER,
    )
    assert posted.shift_start == START and posted.posted_at == later


async def test_a_failed_send_gives_the_claim_back(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        claim = dict(ward_id=ward.id, shift_code="day", shift_start=START, shift_end=NOW)
        first = await uow.handovers.claim(**claim, owner="a", now=NOW, lease_until=LEASE)
        assert first is not None
        await uow.handovers.release(first.id, owner="a")
        again = await uow.handovers.claim(**claim, owner="a", now=NOW, lease_until=LEASE)
        assert again is not None and again.claimed_by == "a" and again.posted_at is None


async def test_take_over_once_and_remind_only_the_untaken(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        ids = []
        for hours in (8, 16):
            start = START - timedelta(hours=hours)
            made = await uow.handovers.claim(
                ward_id=ward.id,
                shift_code="x",
                shift_start=start,
                shift_end=start + timedelta(hours=8),
                owner="a",
                now=NOW,
                lease_until=LEASE,
            )
            assert made is not None
            await uow.handovers.mark_posted(
                made.id, owner="a", chat_id=BIG_CHAT, message_ids=[1], at=NOW, handed_over_by=None
            )
            ids.append(made.id)
        taken = await uow.handovers.take_over(ids[0], by=BIG_USER, at=NOW.astimezone(SHANGHAI))
        assert taken is not None and taken.taken_over_by == BIG_USER and taken.taken_at == NOW
        assert await uow.handovers.take_over(ids[0], by=1, at=NOW) is None
        later = NOW + timedelta(minutes=31)
        assert [h.id for h in await uow.handovers.awaiting(posted_before=later)] == [ids[1]]
        assert [h.id for h in await uow.handovers.awaiting(posted_before=NOW)] == []
        assert await uow.handovers.mark_reminded(ids[1], at=later)
        assert not await uow.handovers.mark_reminded(ids[1], at=later)
        assert await uow.handovers.awaiting(posted_before=later) == []

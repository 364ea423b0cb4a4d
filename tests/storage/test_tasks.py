"""Task services on a real database: materialising, rewriting, claiming, closing, escalating."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from boards import services, tasks
from boards.access import Actor
from boards.bedside import add_line, remove_line
from boards.board_data import ReminderSummary
from boards.clock import ManualClock
from boards.errors import BadInput, Conflict, Forbidden, NotFound, WardError
from boards.model import (
    Age,
    Member,
    MemberStatus,
    Role,
    Sex,
    Stay,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Ward,
)
from boards.schedule import Frequency, LineCarePolicy, Route, default_ward_policy
from boards.tasks import MedArgs, RemindArgs
from storage import Database
from storage.repositories import tasks as task_repository
from tests.storage.factories import create_ward

__all__: list[str] = []

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in the ward
HEAD = Actor(7_123_456_789, "李护士长")
NURSE = Actor(42, "王护士")
STRANGER = Actor(99, "外人")
GROUP = -1_001_234_567_890
CEFUROXIME = MedArgs(drug="头孢呋辛", dose="1.5g", route=Route.IVGTT, freq=Frequency.BID)


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclasses.dataclass
class Ctx:
    db: Database
    url: str
    clock: ManualClock
    ward: Ward
    stay: Stay

    async def run(self, service: Any, **kwargs: Any) -> Any:
        """One service in its own committed transaction, as a bot turn would run it."""
        async with self.db.uow() as uow:
            result = await service(uow, self.clock, **kwargs)
            await uow.commit()
            return result

    async def do(self, service: Any, **kwargs: Any) -> Any:
        return await self.run(service, ward=self.ward, **kwargs)

    async def refused(self, service: Any, **kwargs: Any) -> WardError:
        with pytest.raises(WardError) as caught:
            await self.run(service, **kwargs)
        return caught.value

    async def tasks(self, stay: Stay | None = None) -> list[TaskOccurrence]:
        async with self.db.uow() as uow:
            found: list[TaskOccurrence] = await uow.tasks.of_stays([(stay or self.stay).id])
            return found

    async def claim(self, owner: str = "a", **kwargs: Any) -> list[TaskOccurrence]:
        async with self.db.uow() as uow:
            claimed: list[TaskOccurrence] = await tasks.claim_due(
                uow, now=self.clock.now(), owner=owner, **kwargs
            )
            # The lease is committed before anything is sent, as the dispatcher does.
            await uow.commit()
            return claimed

    async def send(self, claimed: list[TaskOccurrence], owner: str = "a") -> list[int]:
        async with self.db.uow() as uow:
            recorded: list[int] = await tasks.mark_sent(
                uow,
                task_ids=[t.id for t in claimed],
                chat_id=GROUP,
                message_id=7,
                sent_at=self.clock.now(),
                owner=owner,
            )
            await uow.commit()
            return recorded

    async def actions(self) -> list[str]:
        async with self.db.uow() as uow:
            return [e.action for e in reversed(await uow.audit.of_ward(self.ward.id, 500))]


@pytest.fixture
async def ctx(database: Database, database_url: str) -> AsyncIterator[Ctx]:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.members.put(
            Member(ward.id, NURSE.user_id, NURSE.name, Role.NURSE, MemberStatus.APPROVED, NOW)
        )
        stay = await _admit(uow, clock, ward, "12")
        ward = await services.bind_group(uow, clock, actor=HEAD, ward=ward, chat_id=GROUP)
        await uow.commit()
    yield Ctx(database, database_url, clock, ward, stay)


async def _admit(uow: Any, clock: ManualClock, ward: Ward, bed: str) -> Stay:
    stay: Stay = await services.admit(
        uow, clock, actor=NURSE, ward=ward, bed=bed, name="张小三", sex=Sex.MALE, age=Age(67)
    )
    return stay


def _plan(found: list[TaskOccurrence]) -> list[tuple[datetime, TaskStatus]]:
    return [(t.planned_at, t.status) for t in found]


# --- orders and the rolling horizon --------------------------------------------------------


async def test_prescribe_materialises_48_hours(ctx: Ctx) -> None:
    done = await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    assert done.number == 1 and done.order.created_by == NURSE.user_id
    # ivgtt bid follows the ward's injection table: 09:00 / 15:00.
    expected = [_local(23, 15), _local(24, 9), _local(24, 15), _local(25, 9)]
    assert [t.planned_at for t in done.upcoming] == expected
    found = await ctx.tasks()
    assert [t.planned_at for t in found] == expected
    first = found[0]
    assert (first.kind, first.source_id, first.rule_code) == (TaskKind.MED, done.order.id, "")
    assert first.text == "头孢呋辛 1.5g ivgtt"
    assert first.due_at == first.remind_at == first.planned_at  # default lead: 0
    assert not first.late and first.sent_at is None and first.ward_id == ctx.ward.id
    assert (await ctx.actions())[-1] == "med:prescribe"


async def test_materialise_is_idempotent_and_tops_up(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    before = await ctx.tasks()
    for _ in range(2):
        result = await ctx.run(tasks.materialise)
        assert result.added == 0 and result.cancelled == ()
    assert await ctx.tasks() == before

    ctx.clock.advance(timedelta(hours=25))  # 15:30 on the 24th
    first = await ctx.run(tasks.materialise)
    again = await ctx.run(tasks.materialise, ward_ids=[ctx.ward.id])
    assert (first.added, again.added) == (3, 0)
    after = await ctx.tasks()
    assert after[: len(before)] == before  # nothing rewritten
    assert [t.planned_at for t in after[len(before) :]] == [
        _local(25, 15),
        _local(26, 9),
        _local(26, 15),  # up to 15:30 on the 26th
    ]


async def test_two_instances_materialising_at_once_make_each_task_once(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        for bed in ("1", "2", "3", "4"):
            stay = await _admit(uow, ctx.clock, ctx.ward, bed)
            await uow.orders.add(tasks_order(stay.id, Frequency.Q4H, ctx.clock.now()))
        await uow.commit()
    other = Database(ctx.url)
    try:

        async def top_up(db: Database) -> int:
            async with db.uow() as uow:
                result = await tasks.materialise(uow, ctx.clock)
                await uow.commit()
                return result.added

        added = await asyncio.gather(top_up(ctx.db), top_up(other), top_up(ctx.db))
    finally:
        await other.dispose()
    async with ctx.db.uow() as uow:
        stays = await uow.stays.active(ctx.ward.id)
        found = await uow.tasks.of_stays([s.id for s in stays])
    keys = [(t.source_id, t.planned_at) for t in found]
    assert len(keys) == len(set(keys)) == sum(added) == 4 * 12  # q4h for 48 hours


def tasks_order(stay_id: int, freq: Frequency, created: datetime) -> Any:
    from boards.model import MedicationOrder

    return MedicationOrder(
        id=0,
        stay_id=stay_id,
        drug="甲硝唑",
        dose="0.5g",
        route=Route.PO,
        freq=freq,
        start_at=created,
        stop_at=None,
        created_at=created,
        created_by=NURSE.user_id,
    )


async def test_stop_order_cancels_only_future_pending(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(24, 9, 5))
    found = await ctx.tasks()
    await ctx.run(tasks.acknowledge, actor=NURSE, task_id=found[1].id, outcome=TaskStatus.DONE)
    ctx.clock.set(_local(24, 10))

    stopped = await ctx.do(tasks.stop, kind=TaskKind.MED, actor=NURSE, bed="12", number=1)
    assert stopped.source.stopped_at == _local(24, 10)
    assert [t.planned_at for t in stopped.cancelled] == [_local(24, 15), _local(25, 9)]
    assert _plan(await ctx.tasks()) == [
        (_local(23, 15), TaskStatus.PENDING),  # the past stays open: done or skipped later
        (_local(24, 9), TaskStatus.DONE),
        (_local(24, 15), TaskStatus.CANCELLED),  # kept as a record, never deleted
        (_local(25, 9), TaskStatus.CANCELLED),
    ]
    assert all(t.cancelled_at == _local(24, 10) for t in stopped.cancelled)

    ctx.clock.advance(timedelta(days=1))
    assert (await ctx.run(tasks.materialise)).added == 0
    refusal = await ctx.refused(
        tasks.stop, kind=TaskKind.MED, actor=NURSE, ward=ctx.ward, bed="12", number=1
    )
    assert isinstance(refusal, Conflict) and refusal.key == "err.med_stopped"
    missing = await ctx.refused(
        tasks.stop, kind=TaskKind.MED, actor=NURSE, ward=ctx.ward, bed="12", number=9
    )
    assert isinstance(missing, NotFound) and missing.params == {"bed": "12", "number": 9}
    _, listed = await ctx.do(tasks.list_orders, actor=NURSE, bed="12")
    assert [(n.number, n.active) for n in listed] == [(1, False)]


async def test_order_with_a_stop_makes_no_tasks_past_it(ctx: Ctx) -> None:
    args = dataclasses.replace(CEFUROXIME, stop=_local(24, 12))
    done = await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=args)
    assert [t.planned_at for t in done.upcoming] == [_local(23, 15), _local(24, 9)]
    refusal = await ctx.refused(
        tasks.prescribe,
        actor=NURSE,
        ward=ctx.ward,
        bed="12",
        args=dataclasses.replace(CEFUROXIME, stop=NOW - timedelta(minutes=1)),
    )
    assert refusal.key == "err.med_stop_past"


async def test_st_is_one_dose_now_and_prn_none(ctx: Ctx) -> None:
    st = dataclasses.replace(CEFUROXIME, freq=Frequency.ST, start=NOW - timedelta(hours=1))
    done = await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=st)
    assert [t.planned_at for t in done.upcoming] == [NOW]
    prn = dataclasses.replace(CEFUROXIME, freq=Frequency.PRN)
    assert (await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=prn)).upcoming == ()


async def test_non_member_cannot_prescribe(ctx: Ctx) -> None:
    refusal = await ctx.refused(
        tasks.prescribe, actor=STRANGER, ward=ctx.ward, bed="12", args=CEFUROXIME
    )
    assert isinstance(refusal, Forbidden)
    assert await ctx.tasks() == []


# --- ward policy ---------------------------------------------------------------------------


async def test_policy_change_rewrites_only_future_pending(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(24, 9, 30))
    found = await ctx.tasks()
    await ctx.run(tasks.acknowledge, actor=NURSE, task_id=found[1].id, outcome=TaskStatus.DONE)

    old = default_ward_policy()
    # 10:00 and 18:00 ward time for drips from now on; a 15-minute lead.
    new_medication = old.medication.with_times(
        Frequency.BID,
        (datetime(2025, 1, 1, 10).time(), datetime(2025, 1, 1, 18).time()),
        route=Route.IVGTT,
    )
    policy = dataclasses.replace(old, medication=new_medication, lead_minutes=15)
    change = await ctx.do(tasks.set_policy, actor=HEAD, policy=policy)
    assert [t.planned_at for t in change.cancelled] == [_local(24, 15), _local(25, 9)]
    assert _plan(await ctx.tasks()) == [
        (_local(23, 15), TaskStatus.PENDING),  # past: untouched
        (_local(24, 9), TaskStatus.DONE),  # done: untouched
        (_local(24, 10), TaskStatus.PENDING),
        (_local(24, 15), TaskStatus.CANCELLED),
        (_local(24, 18), TaskStatus.PENDING),
        (_local(25, 9), TaskStatus.CANCELLED),
        (_local(25, 10), TaskStatus.PENDING),
        (_local(25, 18), TaskStatus.PENDING),  # rewritten up to now + 48 hours
    ]
    fresh = next(t for t in await ctx.tasks() if t.planned_at == _local(24, 18))
    assert fresh.remind_at == _local(24, 17, 45)
    assert change.added == 4
    async with ctx.db.uow() as uow:
        assert await tasks.get_policy(uow, ward=ctx.ward) == policy

    # The next top-up never backfills the new times into the past, nor adds twice.
    ctx.clock.advance(timedelta(hours=30))
    await ctx.run(tasks.materialise)
    planned = [t.planned_at for t in await ctx.tasks() if t.status is TaskStatus.PENDING]
    assert planned == [
        _local(23, 15),
        _local(24, 10),
        _local(24, 18),
        _local(25, 10),
        _local(25, 18),
        _local(26, 10),
        _local(26, 18),
        _local(27, 10),
    ]
    assert (await ctx.actions()).count("ward:policy") == 1

    # And back to the old times: the cancelled rows do not block their own time coming back.
    back = await ctx.do(tasks.set_policy, actor=HEAD, policy=old.to_dict())
    assert back.added > 0
    live = [t for t in await ctx.tasks() if t.status is not TaskStatus.CANCELLED]
    assert len({(t.planned_at, t.source_id) for t in live}) == len(live)


async def test_policy_refusals(ctx: Ctx) -> None:
    forbidden = await ctx.refused(
        tasks.set_policy, actor=NURSE, ward=ctx.ward, policy=default_ward_policy()
    )
    assert isinstance(forbidden, Forbidden) and forbidden.key == "err.head_only"
    document = default_ward_policy().to_dict()
    document["lead_minutes"] = 999
    bad = await ctx.refused(tasks.set_policy, actor=HEAD, ward=ctx.ward, policy=document)
    assert isinstance(bad, BadInput) and bad.key == "schedule.policy.bad_minutes"
    assert bad.params["field"] == "lead_minutes" and bad.params["max"] == 240
    same = await ctx.refused(
        tasks.set_policy, actor=HEAD, ward=ctx.ward, policy=default_ward_policy()
    )
    assert isinstance(same, Conflict) and same.key == "err.unchanged"


# --- claiming and delivering ---------------------------------------------------------------


async def test_reminder_goes_out_at_its_minute_and_once(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 14, 59))
    assert await ctx.claim() == []
    ctx.clock.set(_local(23, 15))
    claimed = await ctx.claim()
    assert [t.planned_at for t in claimed] == [_local(23, 15)]
    assert claimed[0].lease_owner == "a" and not claimed[0].late
    assert await ctx.send(claimed) == [claimed[0].id]
    ctx.clock.advance(timedelta(minutes=5))
    assert await ctx.claim() == []  # sent: never again
    sent = (await ctx.tasks())[0]
    assert (sent.sent_at, sent.message_chat_id, sent.message_id) == (_local(23, 15), GROUP, 7)


async def test_nothing_is_claimed_for_a_ward_without_a_group(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    await ctx.do(services.unbind_group, actor=HEAD)
    ctx.clock.set(_local(23, 15))
    assert await ctx.claim() == []


async def test_two_claimers_split_the_due_tasks(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        for bed in [str(n) for n in range(20, 35)]:
            stay = await _admit(uow, ctx.clock, ctx.ward, bed)
            await uow.orders.add(tasks_order(stay.id, Frequency.Q4H, ctx.clock.now()))
        await uow.commit()
    await ctx.run(tasks.materialise)
    ctx.clock.advance(timedelta(hours=9))  # two q4h rounds due per patient
    other = Database(ctx.url)

    async def claimer(db: Database, owner: str) -> list[int]:
        got: list[int] = []
        while True:
            async with db.uow() as uow:
                batch = await tasks.claim_due(uow, now=ctx.clock.now(), owner=owner, limit=3)
                await uow.commit()
            if not batch:
                return got
            got += [t.id for t in batch]
            await asyncio.sleep(0)

    try:
        a, b = await asyncio.gather(claimer(ctx.db, "a"), claimer(other, "b"))
    finally:
        await other.dispose()
    async with ctx.db.uow() as uow:
        stays = await uow.stays.active(ctx.ward.id)
        due = [
            t
            for t in await uow.tasks.of_stays([s.id for s in stays])
            if t.remind_at <= ctx.clock.now()
        ]
    assert len(due) == 30
    assert not set(a) & set(b)  # never claimed twice
    assert sorted(a + b) == sorted(t.id for t in due)  # none lost
    assert {t.lease_owner for t in due} <= {"a", "b"}


async def test_a_claim_in_progress_is_skipped_not_shared(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        for bed in [str(n) for n in range(20, 26)]:
            stay = await _admit(uow, ctx.clock, ctx.ward, bed)
            await uow.orders.add(tasks_order(stay.id, Frequency.Q4H, ctx.clock.now()))
        await uow.commit()
    await ctx.run(tasks.materialise)
    ctx.clock.advance(timedelta(hours=9))
    now = ctx.clock.now()
    other = Database(ctx.url)
    try:
        async with ctx.db.uow() as holding:
            # "a" has locked and leased its rows but not committed yet. Its limit of 5 cut
            # the ward's 12: the claim took the rest of the ward with them.
            mine = await holding.tasks.claim(
                now=now, owner="a", lease_until=now + tasks.LEASE, late_before=now, limit=5
            )

            async def theirs() -> list[TaskOccurrence]:
                async with other.uow() as uow:
                    got = await tasks.claim_due(uow, now=now, owner="b", limit=100)
                    await uow.commit()
                    return got

            # PostgreSQL: b does not wait for a, and leaves the ward a is claiming to it
            # (one claimer a ward: its slot is not split into two messages). SQLite: b waits
            # for a's commit, then finds nothing left.
            pending = asyncio.ensure_future(theirs())
            await asyncio.sleep(0.3)
            if ctx.url.startswith("postgresql"):
                assert pending.done()  # b did not wait for a
                assert pending.result() == []
            await holding.commit()
            got = await pending
            # a's claim is over, and it had the whole ward: nothing is left for b.
            got += await theirs()
    finally:
        await other.dispose()
    assert len(mine) == 12 and got == []


@pytest.mark.parametrize(
    ("limit", "expected"), [(4, [[0], [1], [2]]), (8, [[0, 1], [2]]), (100, [[0, 1, 2]])]
)
async def test_a_claims_limit_never_cuts_a_ward_in_two(
    ctx: Ctx, limit: int, expected: list[list[int]]
) -> None:
    # Three wards with due tasks: 6, 6 and 6. Claims come back ward by ward, each ward
    # whole, so no ward's slot can go out as two messages (by this instance or another):
    # a limit of 4 cuts the first ward, of 8 the second, and each is claimed whole.
    async with ctx.db.uow() as uow:
        wards = [ctx.ward]
        for number in (2, 3):
            ward = await create_ward(uow, ctx.clock, HEAD, name=f"病区{number}", bed_count=40)
            wards.append(
                await services.bind_group(
                    uow, ctx.clock, actor=HEAD, ward=ward, chat_id=GROUP - number
                )
            )
        for ward in wards:
            for bed in ("31", "32", "33"):
                stay = await services.admit(
                    uow,
                    ctx.clock,
                    actor=HEAD,
                    ward=ward,
                    bed=bed,
                    name="赵六",
                    sex=Sex.MALE,
                    age=Age(50),
                )
                await uow.orders.add(tasks_order(stay.id, Frequency.Q4H, ctx.clock.now()))
        await uow.commit()
    await ctx.run(tasks.materialise)
    ctx.clock.advance(timedelta(hours=9))  # two q4h rounds due per patient
    claims = []
    while batch := await ctx.claim(limit=limit):
        claims.append(sorted({t.ward_id for t in batch}))
        assert len(batch) == 6 * len(claims[-1])
        assert len({t.id for t in batch}) == len(batch)
    assert claims == [[wards[i].id for i in claim] for claim in expected]
    # What each ward had is all in its claim: nothing of it is left to anyone.
    assert await ctx.claim(owner="b", limit=100) == []


async def test_expired_lease_is_claimable_and_a_stolen_lease_records_nothing(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 15))
    first = await ctx.claim("a", lease=timedelta(minutes=2))
    assert len(first) == 1
    assert await ctx.claim("b") == []  # leased
    ctx.clock.advance(timedelta(minutes=3))  # "a" died mid-send
    second = await ctx.claim("b")
    assert [t.id for t in second] == [first[0].id] and second[0].lease_owner == "b"
    assert await ctx.send(first, owner="a") == []  # the lease is not a's any more
    assert (await ctx.tasks())[0].sent_at is None
    assert await ctx.send(second, owner="b") == [first[0].id]


async def test_release_gives_tasks_back_at_once(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 15))
    claimed = await ctx.claim("a")
    async with ctx.db.uow() as uow:
        assert await tasks.release(uow, task_ids=[t.id for t in claimed], owner="b") == []
        assert await tasks.release(uow, task_ids=[t.id for t in claimed], owner="a") == [
            claimed[0].id
        ]
        await uow.commit()
    assert [t.id for t in await ctx.claim("b")] == [claimed[0].id]


async def test_tasks_missed_in_downtime_go_out_once_marked_late(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(24, 16))  # down from before 15:00 yesterday until now
    claimed = await ctx.claim()
    assert [(t.planned_at, t.late) for t in claimed] == [
        (_local(23, 15), True),
        (_local(24, 9), True),
        (_local(24, 15), True),
    ]
    slots = tasks.group_slots(claimed, {ctx.ward.id: SHANGHAI})
    assert [(s.late, len(s.tasks)) for s in slots] == [(True, 3)]  # one message
    await ctx.send(claimed)
    ctx.clock.advance(timedelta(minutes=1))
    assert await ctx.claim() == []


async def test_lead_sends_early_and_discharge_stops_reminders(ctx: Ctx) -> None:
    policy = dataclasses.replace(default_ward_policy(), lead_minutes=10)
    await ctx.do(tasks.set_policy, actor=HEAD, policy=policy)
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 14, 50))
    claimed = await ctx.claim()
    assert [t.due_at for t in claimed] == [_local(23, 15)]
    await ctx.send(claimed)

    ctx.clock.set(_local(24, 8))
    await ctx.do(services.discharge, actor=NURSE, bed="12")
    ctx.clock.set(_local(24, 9))
    assert await ctx.claim() == []  # the patient left: nothing goes out
    result = await ctx.run(tasks.materialise, ward_ids=[ctx.ward.id])
    assert [t.planned_at for t in result.cancelled] == [
        _local(24, 9),
        _local(24, 15),
        _local(25, 9),
    ]
    # Before the discharge, sent and never confirmed: still open on the record.
    assert (await ctx.tasks())[0].status is TaskStatus.PENDING


# --- closing -------------------------------------------------------------------------------


async def test_acknowledge_once_then_conflict_with_one_audit_entry(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    task = (await ctx.tasks())[0]
    ctx.clock.set(_local(23, 15, 7))
    done = await ctx.run(tasks.acknowledge, actor=NURSE, task_id=task.id, outcome="done")
    assert done.stay.bed == "12"
    assert (done.task.status, done.task.done_at, done.task.done_by) == (
        TaskStatus.DONE,
        _local(23, 15, 7),
        NURSE.user_id,
    )
    assert done.task.planned_at == _local(23, 15)  # planned and actual time, both kept
    again = await ctx.refused(
        tasks.acknowledge, actor=HEAD, task_id=task.id, outcome=TaskStatus.SKIPPED, reason="x"
    )
    assert isinstance(again, Conflict) and again.key == "err.task_closed"
    assert again.params == {"at": "15:07"}
    assert (await ctx.actions()).count("task:done") == 1
    assert (await ctx.tasks())[0] == done.task


async def test_acknowledge_refusals(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    task = (await ctx.tasks())[0]
    stranger = await ctx.refused(
        tasks.acknowledge, actor=STRANGER, task_id=task.id, outcome=TaskStatus.DONE
    )
    assert isinstance(stranger, Forbidden) and stranger.key == "err.not_member"
    no_reason = await ctx.refused(
        tasks.acknowledge, actor=NURSE, task_id=task.id, outcome=TaskStatus.SKIPPED, reason=" "
    )
    assert isinstance(no_reason, BadInput) and no_reason.key == "err.skip_reason"
    unknown = await ctx.refused(
        tasks.acknowledge, actor=NURSE, task_id=task.id + 10_000, outcome=TaskStatus.DONE
    )
    assert isinstance(unknown, NotFound) and unknown.key == "err.task_unknown"
    assert (await ctx.tasks())[0] == task  # nothing changed

    skipped = await ctx.run(
        tasks.acknowledge,
        actor=NURSE,
        task_id=task.id,
        outcome=TaskStatus.SKIPPED,
        reason="患者 外出检查",
    )
    assert skipped.task.skip_reason == "患者 外出检查"
    await ctx.do(tasks.stop, kind=TaskKind.MED, actor=NURSE, bed="12", number=1)
    cancelled = (await ctx.tasks())[1]
    assert cancelled.status is TaskStatus.CANCELLED
    closed = await ctx.refused(
        tasks.acknowledge, actor=NURSE, task_id=cancelled.id, outcome=TaskStatus.DONE
    )
    assert isinstance(closed, Conflict) and closed.key == "err.task_closed"


async def test_two_presses_at_once_record_one(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    task = (await ctx.tasks())[0]
    other = Database(ctx.url)

    async def press(db: Database, actor: Actor) -> str:
        try:
            async with db.uow() as uow:
                await tasks.acknowledge(
                    uow, ctx.clock, actor=actor, task_id=task.id, outcome=TaskStatus.DONE
                )
                await uow.commit()
        except Conflict as error:
            return error.key
        return "ok"

    try:
        results = await asyncio.gather(press(ctx.db, NURSE), press(other, HEAD))
    finally:
        await other.dispose()
    assert sorted(results) == ["err.task_closed", "ok"]
    assert (await ctx.actions()).count("task:done") == 1


async def test_snooze_keeps_the_planned_time_and_sends_again(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 15))
    await ctx.send(await ctx.claim())
    ctx.clock.set(_local(23, 15, 2))
    task = (await ctx.tasks())[0]
    moved = await ctx.run(tasks.snooze, actor=NURSE, task_id=task.id, minutes=15)
    assert moved.task.planned_at == _local(23, 15)
    assert moved.task.due_at == moved.task.remind_at == _local(23, 15, 17)
    assert moved.task.sent_at is None and moved.task.snoozed
    assert await ctx.claim() == []
    ctx.clock.set(_local(23, 15, 17))
    assert [t.id for t in await ctx.claim()] == [task.id]
    bad = await ctx.refused(tasks.snooze, actor=NURSE, task_id=task.id, minutes=0)
    assert isinstance(bad, BadInput) and bad.key == "err.snooze_minutes"
    # A top-up does not make the planned 15:00 again.
    await ctx.run(tasks.materialise)
    assert len([t for t in await ctx.tasks() if t.planned_at == _local(23, 15)]) == 1
    assert "task:snooze" in await ctx.actions()


async def _slot(ctx: Ctx, message_id: int) -> tasks.Slot | None:
    async with ctx.db.uow() as uow:
        return await tasks.message_slot(uow, ward=ctx.ward, chat_id=GROUP, message_id=message_id)


async def test_a_message_is_rebuilt_from_the_tasks_sent_in_it(ctx: Ctx) -> None:
    async with ctx.db.uow() as uow:
        thirteen = await _admit(uow, ctx.clock, ctx.ward, "13")
        await uow.commit()
    for bed in ("13", "12"):
        await ctx.do(tasks.prescribe, actor=NURSE, bed=bed, args=CEFUROXIME)
    ctx.clock.set(_local(23, 15))
    claimed = await ctx.claim()
    assert len(claimed) == 2
    await ctx.send(claimed)  # message 7
    slot = await _slot(ctx, 7)
    assert slot is not None and slot.start == _local(23, 15) and not slot.late
    # In the order the message was drawn: by planned time, then patient.
    assert [t.stay_id for t in slot.tasks] == [ctx.stay.id, thirteen.id]
    assert await _slot(ctx, 8) is None
    async with ctx.db.uow() as uow:
        assert await uow.tasks.of_message(GROUP + 1, 7) == []

    # Snoozed, bed 12 stays in message 7 (its row shows the new time) until sent again.
    ctx.clock.set(_local(23, 15, 2))
    await ctx.run(tasks.snooze, actor=NURSE, task_id=slot.tasks[0].id, minutes=15)
    slot = await _slot(ctx, 7)
    assert slot is not None and slot.start == _local(23, 15)
    assert [(t.stay_id, t.sent_at) for t in slot.tasks] == [
        (ctx.stay.id, None),
        (thirteen.id, _local(23, 15)),
    ]
    ctx.clock.set(_local(23, 15, 17))
    again = await ctx.claim()
    async with ctx.db.uow() as uow:
        await tasks.mark_sent(
            uow,
            task_ids=[t.id for t in again],
            chat_id=GROUP,
            message_id=8,
            sent_at=ctx.clock.now(),
            owner="a",
        )
        await uow.commit()
    first, second = await _slot(ctx, 7), await _slot(ctx, 8)
    assert first is not None and [t.stay_id for t in first.tasks] == [thirteen.id]
    assert second is not None and [t.stay_id for t in second.tasks] == [ctx.stay.id]
    assert second.start == _local(23, 15, 15)


# --- escalation ----------------------------------------------------------------------------


async def test_escalation_once_after_the_window(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 15))
    await ctx.send(await ctx.claim())

    async def due() -> list[int]:
        async with ctx.db.uow() as uow:
            return [t.id for t in await tasks.due_for_escalation(uow, now=ctx.clock.now())]

    ctx.clock.set(_local(23, 15, 29))
    assert await due() == []
    ctx.clock.set(_local(23, 15, 30))  # default window: 30 minutes
    ids = await due()
    assert len(ids) == 1
    other = Database(ctx.url)

    async def mark(db: Database) -> list[int]:
        async with db.uow() as uow:
            marked = await tasks.mark_escalated(uow, task_ids=ids, at=ctx.clock.now())
            await uow.commit()
            return marked

    try:
        marked = await asyncio.gather(mark(ctx.db), mark(other))
    finally:
        await other.dispose()
    assert sorted(marked) == [[], ids]  # exactly one instance sends the notice
    assert await due() == []
    async with ctx.db.uow() as uow:
        view = await tasks.tasks_view(uow, ctx.clock, ward=ctx.ward)
    assert [(d.task.id, d.overdue) for d in view.due] == [(ids[0], True)]
    assert view.summary.overdue_count == 1


async def test_late_task_gets_its_full_window(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    ctx.clock.set(_local(23, 17))
    await ctx.send(await ctx.claim())
    async with ctx.db.uow() as uow:
        assert await tasks.due_for_escalation(uow, now=_local(23, 17, 29)) == []
        assert len(await tasks.due_for_escalation(uow, now=_local(23, 17, 30))) == 1


# --- reminders and line care ---------------------------------------------------------------


async def test_reminders_once_and_daily(ctx: Ctx) -> None:
    past = await ctx.refused(
        tasks.add_reminder,
        actor=NURSE,
        ward=ctx.ward,
        bed="12",
        args=RemindArgs("复测血糖", due_at=NOW - timedelta(minutes=5)),
    )
    assert isinstance(past, BadInput) and past.key == "err.remind_past"
    _, once = await ctx.do(
        tasks.add_reminder,
        actor=NURSE,
        bed="12",
        args=RemindArgs("复测血糖", due_at=_local(23, 16)),
    )
    _, daily = await ctx.do(
        tasks.add_reminder,
        actor=NURSE,
        bed="12",
        args=RemindArgs("测血压", daily_at=datetime(2025, 1, 1, 8).time()),
    )
    assert (once.number, daily.number) == (1, 2)
    found = [(t.planned_at, t.text, t.kind) for t in await ctx.tasks()]
    assert found == [
        (_local(23, 16), "复测血糖", TaskKind.REMINDER),
        (_local(24, 8), "测血压", TaskKind.REMINDER),
        (_local(25, 8), "测血压", TaskKind.REMINDER),
    ]
    ctx.clock.set(_local(24, 12))
    stopped = await ctx.do(tasks.stop, kind=TaskKind.REMINDER, actor=NURSE, bed="12", number=2)
    assert [t.planned_at for t in stopped.cancelled] == [_local(25, 8)]
    ctx.clock.advance(timedelta(days=2))
    await ctx.run(tasks.materialise)
    assert len(await ctx.tasks()) == 3
    _, listed = await ctx.do(tasks.list_reminders, actor=NURSE, bed="12")
    assert [(n.number, n.active) for n in listed] == [(1, False), (2, False)]


async def test_line_care_follows_the_lines(ctx: Ctx) -> None:
    inserted = _local(17, 10)  # a PICC put in six days ago, recorded now
    _, line = await ctx.do(
        add_line, actor=NURSE, bed="12", word="PICC", site="右上臂", inserted_at=inserted
    )
    result = await ctx.do(tasks.sync_line_care)
    assert result.added == 2
    care = await ctx.tasks()
    assert [(t.rule_code, t.planned_at, t.source_id) for t in care] == [
        ("dressing", _local(24, 10), line.id),
        ("flush_connector", _local(24, 10), line.id),
    ]
    assert care[0].text == "PICC：更换透明敷料"
    assert (await ctx.do(tasks.sync_line_care)).added == 0

    ctx.clock.set(_local(24, 9))
    await ctx.do(remove_line, actor=NURSE, bed="12", word_or_number="1")
    ctx.clock.set(_local(24, 10))
    assert await ctx.claim() == []  # removed before the care was due: never sent
    removed = await ctx.do(tasks.sync_line_care)
    assert {t.rule_code for t in removed.cancelled} == {"dressing", "flush_connector"}
    assert all(t.status is TaskStatus.CANCELLED for t in await ctx.tasks())


async def test_board_summary_and_tasks_view(ctx: Ctx) -> None:
    await ctx.do(tasks.prescribe, actor=NURSE, bed="12", args=CEFUROXIME)
    await ctx.do(
        tasks.add_reminder,
        actor=NURSE,
        bed="12",
        args=RemindArgs("复测血糖", due_at=_local(23, 15, 3)),
    )
    async with ctx.db.uow() as uow:
        summary = await tasks.board_summary(uow, ctx.clock, ward=ctx.ward)
    assert summary == ReminderSummary(
        next_slot=_local(23, 15), next_count=2, due_count=0, overdue_count=0
    )
    ctx.clock.set(_local(23, 15, 5))
    async with ctx.db.uow() as uow:
        view = await tasks.tasks_view(uow, ctx.clock, ward=ctx.ward)
    assert [d.task.text for d in view.due] == ["头孢呋辛 1.5g ivgtt", "复测血糖"]
    assert all(not d.overdue and d.stay.bed == "12" for d in view.due)
    assert view.upcoming == ()  # the day shift ends at 16:00; the next dose is tomorrow
    assert view.summary.next_slot == _local(24, 9)


async def test_policy_without_a_line_types_rules_cancels_its_future_care(ctx: Ctx) -> None:
    await ctx.do(
        add_line, actor=NURSE, bed="12", word="PICC", site="右上臂", inserted_at=_local(17, 10)
    )
    await ctx.do(tasks.sync_line_care)
    old = default_ward_policy()
    rules = {t: r for t, r in old.line_care.rules.items() if t != "picc"}
    policy = dataclasses.replace(old, line_care=LineCarePolicy(rules=rules))
    change = await ctx.do(tasks.set_policy, actor=HEAD, policy=policy)
    assert {t.rule_code for t in change.cancelled} == {"dressing", "flush_connector"}
    assert change.added == 0
    assert all(t.status is TaskStatus.CANCELLED for t in await ctx.tasks())


async def test_a_ward_being_claimed_is_left_whole_to_its_claimer(ctx: Ctx) -> None:
    if not ctx.url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: a claim never meets another one under way")
    async with ctx.db.uow() as uow:
        for bed in [str(n) for n in range(20, 26)]:
            stay = await _admit(uow, ctx.clock, ctx.ward, bed)
            await uow.orders.add(tasks_order(stay.id, Frequency.Q4H, ctx.clock.now()))
        await uow.commit()
    await ctx.run(tasks.materialise)
    ctx.clock.advance(timedelta(hours=9))
    now = ctx.clock.now()
    other = Database(ctx.url)
    try:
        async with ctx.db.uow() as holding:
            # "a" has leased the first 5 of the ward's 12 and holds the ward's claim lock,
            # its claim not yet finished: "b" takes none of the other 7.
            first = await holding.tasks._session.execute(  # type: ignore[attr-defined]
                task_repository._LEASE_FIRST_PG,
                {
                    "now": now,
                    "owner": "a",
                    "lease_until": now + tasks.LEASE,
                    "late_before": now,
                    "limit": 5,
                },
            )
            assert len(first.all()) == 5
            async with other.uow() as uow:
                assert await tasks.claim_due(uow, now=now, owner="b", limit=100) == []
                await uow.commit()
    finally:
        await other.dispose()

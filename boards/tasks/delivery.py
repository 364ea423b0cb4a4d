"""Delivering due tasks once: lease them, group them per ward and slot, record what was sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boards.model import TaskOccurrence
from boards.ports import UnitOfWork
from boards.schedule import DEFAULT_SLOT_MINUTES, slot_of

__all__ = [
    "CLAIM_LIMIT",
    "CLAIM_LIMIT_MAX",
    "LATE_AFTER",
    "LEASE",
    "Slot",
    "claim_due",
    "group_slots",
    "mark_sent",
    "next_claim_limit",
    "release",
    "row_order",
    "ward_zones",
]

LEASE = timedelta(minutes=2)
# A tick's first claim: small, so the first wards' messages go out at once.
CLAIM_LIMIT = 500
# The largest limit of a claim (which takes the rest of the ward the limit cuts too, so
# may come back a ward larger): a claim holds SQLite's write lock (and on PostgreSQL its
# rows) for as long as it runs, and a nurse's command waits that long.
CLAIM_LIMIT_MAX = 2000
# Claimed more than this after its due time, a task was missed (downtime, a dead sender)
# and goes out marked late.
LATE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Slot:
    """One message's worth: a ward's tasks of one time slot, or all its late tasks at once
    (after downtime: one message, not a flood). `start` is the slot start (aware UTC); for
    a late batch, the earliest slot among its tasks."""

    ward_id: int
    start: datetime
    late: bool
    tasks: tuple[TaskOccurrence, ...]


async def claim_due(
    uow: UnitOfWork,
    *,
    now: datetime,
    owner: str,
    lease: timedelta = LEASE,
    limit: int = CLAIM_LIMIT,
    late_after: timedelta = LATE_AFTER,
) -> list[TaskOccurrence]:
    """Lease the tasks whose reminder time has come to `owner`.

    Each task goes to exactly one claimer, also across bot instances on one PostgreSQL.
    The reminder time is the due time minus the ward's lead, kept on each task, so wards
    with different leads share one claim. A task due more than `late_after` before `now`
    (missed while the bot was down) comes back with `late` set. The caller sends, then
    records with `mark_sent` (or gives back with `release`) before the lease runs out;
    an expired lease makes the task claimable again. A claim takes whole wards: the
    first `limit` tasks ward by ward and then the rest of the last ward among them, so the
    limit never splits a ward's slot into two messages; within one tick, each claim's
    `limit` is `next_claim_limit` of the last (from `CLAIM_LIMIT`).

    The caller commits the lease before anything is sent: it must be visible to other
    instances first (the dispatcher claims in a transaction of its own).
    """
    tasks = await uow.tasks.claim(
        now=now,
        owner=owner,
        lease_until=now + lease,
        late_before=now - late_after,
        limit=limit,
    )
    return tasks


def next_claim_limit(limit: int) -> int:
    """The next claim's size in one tick: twice the last, up to `CLAIM_LIMIT_MAX`.

    Each claim looks through the slot's tasks still unclaimed (or unsent) to take the next
    ones ward by ward, so a slot of n tasks claimed L at a time costs about n * n / 2L
    tasks looked at: 150,000 for 12,000 at 500, 56,000 growing from 500 to 2,000. (The
    rest of the wards a claim met is one more statement, by ward: their own due tasks.)
    """
    return min(limit * 2, CLAIM_LIMIT_MAX)


async def mark_sent(
    uow: UnitOfWork,
    *,
    task_ids: Sequence[int],
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    owner: str,
) -> list[int]:
    """Record that these tasks went out in this message, for those whose lease `owner`
    still holds (one taken over after expiry is left to its new holder). Returns the ids
    recorded; the caller commits."""
    return await uow.tasks.mark_sent(
        task_ids, owner=owner, chat_id=chat_id, message_id=message_id, at=sent_at
    )


async def release(uow: UnitOfWork, *, task_ids: Sequence[int], owner: str) -> list[int]:
    """Give unsent tasks back at once after a failed send (rather than wait for the lease
    to run out). Returns the ids released; the caller commits."""
    return await uow.tasks.release(task_ids, owner=owner)


def row_order(task: TaskOccurrence) -> tuple[datetime, int, str, str, int]:
    """Where a task's row sits in its message: by planned time, then patient, then kind.

    The planned time, not the due time: a snooze moves the due time while the task is still
    in its message, and its row must not jump under a nurse's thumb.
    """
    return (task.planned_at, task.stay_id, task.kind.value, task.rule_code, task.id)


def group_slots(
    tasks: Iterable[TaskOccurrence],
    zones: Mapping[int, ZoneInfo],
    *,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
) -> list[Slot]:
    """One Slot per ward per time slot of the ward's wall clock (boards.schedule.slot_of),
    and one per ward for all its late tasks; by slot start, then ward. Within a slot tasks
    run in `row_order`."""
    batches: dict[tuple[int, datetime | None], list[TaskOccurrence]] = defaultdict(list)
    starts: dict[tuple[int, datetime | None], datetime] = {}
    # A round has thousands of tasks and a few due times: each time slotted once per zone.
    slotted: dict[tuple[datetime, ZoneInfo], datetime] = {}
    for task in tasks:
        zone = zones[task.ward_id]
        start = slotted.get((task.due_at, zone))
        if start is None:
            start = slotted[(task.due_at, zone)] = slot_of(task.due_at, zone, slot_minutes)
        key = (task.ward_id, None if task.late else start)
        batches[key].append(task)
        starts[key] = min(starts.get(key, start), start)
    slots = [
        Slot(
            ward_id=ward_id,
            start=starts[(ward_id, slot)],
            late=slot is None,
            tasks=tuple(sorted(items, key=row_order)),
        )
        for (ward_id, slot), items in batches.items()
    ]
    slots.sort(key=lambda s: (s.start, s.ward_id, not s.late))
    return slots


async def ward_zones(uow: UnitOfWork, ward_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """The time zone of each of these wards, for `group_slots`."""
    return {w.id: ZoneInfo(w.timezone) for w in await uow.wards.many(list(set(ward_ids)))}

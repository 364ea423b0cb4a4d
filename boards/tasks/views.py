"""What /tasks, the whiteboard's reminder area and a sent reminder message show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boards.board_data import ReminderSummary
from boards.model import OpenTask, Stay, TaskOccurrence, Ward
from boards.ports import Clock, UnitOfWork
from boards.schedule import DEFAULT_SLOT_MINUTES, WardPolicy, slot_of
from boards.tasks._common import policy_of
from boards.tasks.delivery import Slot, row_order

__all__ = [
    "DueTask",
    "TasksView",
    "board_reminders",
    "board_summary",
    "message_slot",
    "tasks_view",
]


@dataclass(frozen=True, slots=True)
class DueTask:
    task: TaskOccurrence
    stay: Stay
    overdue: bool  # past the ward's escalation window, still open


@dataclass(frozen=True, slots=True)
class TasksView:
    """`/tasks`: open tasks due now (overdue ones flagged), then the rest of the shift."""

    ward: Ward
    now: datetime
    due: tuple[DueTask, ...]
    upcoming: tuple[DueTask, ...]
    summary: ReminderSummary


async def message_slot(
    uow: UnitOfWork,
    *,
    ward: Ward,
    chat_id: int,
    message_id: int,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
) -> Slot | None:
    """The slot a sent reminder message shows, rebuilt from the tasks recorded as sent in it
    (`mark_sent`), in their states now and in the order they were sent; only this ward's
    tasks. None if it carries none (any more: each snoozed one went out again elsewhere)."""
    carried = [t for t in await uow.tasks.of_message(chat_id, message_id) if t.ward_id == ward.id]
    if not carried:
        return None
    tz = ZoneInfo(ward.timezone)
    # The due time at sending is known for tasks not snoozed since (snoozing unsends them).
    unmoved = [t.due_at for t in carried if t.sent_at is not None]
    start = slot_of(min(unmoved or [t.planned_at for t in carried]), tz, slot_minutes)
    return Slot(
        ward_id=ward.id,
        start=start,
        late=any(t.late for t in carried),
        tasks=tuple(sorted(carried, key=row_order)),
    )


def _overdue(task: TaskOccurrence | OpenTask, policy: WardPolicy, now: datetime) -> bool:
    return task.escalated_at is not None or policy.overdue_at(task.due_at) <= now


def _summary(
    tasks: Sequence[TaskOccurrence | OpenTask], policy: WardPolicy, tz: ZoneInfo, now: datetime
) -> ReminderSummary:
    due = [t for t in tasks if t.due_at <= now]
    later = [t for t in tasks if t.due_at > now]
    next_slot = slot_of(min(t.due_at for t in later), tz) if later else None
    return ReminderSummary(
        next_slot=next_slot,
        next_count=sum(1 for t in later if slot_of(t.due_at, tz) == next_slot),
        due_count=len(due),
        overdue_count=sum(1 for t in due if _overdue(t, policy, now)),
    )


async def _open_tasks(
    uow: UnitOfWork, ward: Ward, until: datetime
) -> tuple[list[TaskOccurrence], dict[int, Stay]]:
    stays = {s.id: s for s in await uow.stays.active(ward.id)}
    tasks = await uow.tasks.open_of_ward(ward.id, due_before=until)
    return [t for t in tasks if t.stay_id in stays], stays


async def board_summary(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> ReminderSummary:
    """The whiteboard's reminder area: next slot and its task count, due and overdue."""
    summary, _ = await board_reminders(uow, clock, ward=ward)
    return summary


async def board_reminders(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ward: Ward,
    active: Sequence[Stay] | None = None,
    policy: WardPolicy | None = None,
) -> tuple[ReminderSummary, dict[int, int]]:
    """The reminder area, and the number of overdue open tasks per stay (the beds' marks).
    `active` (the ward's active stays) and `policy`: if the caller read them already."""
    now = clock.now()
    if active is None:
        active = await uow.stays.active(ward.id)
    present = {s.id for s in active}
    # Only what the board shows of each task (a board is read far more often than /tasks).
    tasks = [
        t
        for t in await uow.tasks.open_due_of_ward(ward.id, due_before=now + timedelta(days=1))
        if t.stay_id in present
    ]
    if policy is None:
        policy = await policy_of(uow, ward.id)
    overdue: dict[int, int] = {}
    for task in tasks:
        if task.due_at <= now and _overdue(task, policy, now):
            overdue[task.stay_id] = overdue.get(task.stay_id, 0) + 1
    return _summary(tasks, policy, ZoneInfo(ward.timezone), now), overdue


async def tasks_view(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> TasksView:
    """`/tasks`: the ward's open tasks due now (overdue flagged), and those still to come
    in the current shift, with their patients; discharged patients' tasks are left out."""
    now = clock.now()
    tz = ZoneInfo(ward.timezone)
    policy = await policy_of(uow, ward.id)
    _, _, shift_end = policy.shifts.span_of(now, tz)
    tasks, stays = await _open_tasks(uow, ward, max(shift_end, now + timedelta(days=1)))
    rows = [DueTask(t, stays[t.stay_id], _overdue(t, policy, now)) for t in tasks]
    return TasksView(
        ward=ward,
        now=now,
        due=tuple(r for r in rows if r.task.due_at <= now),
        upcoming=tuple(r for r in rows if now < r.task.due_at < shift_end),
        summary=_summary(tasks, policy, tz, now),
    )

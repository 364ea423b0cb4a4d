"""Closing a task from its button: done, skipped with a reason, or snoozed for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import Actor, record_audit, require_member
from boards.errors import BadInput, Conflict, Forbidden, NotFound
from boards.model import Stay, TaskOccurrence, TaskStatus, Ward
from boards.ports import Clock, UnitOfWork
from boards.text import clean_field

__all__ = [
    "MAX_REASON",
    "SNOOZE_MAX_MINUTES",
    "Acknowledged",
    "acknowledge",
    "snooze",
    "task_of_ward",
]

MAX_REASON = 100
SNOOZE_MAX_MINUTES = 240


@dataclass(frozen=True, slots=True)
class Acknowledged:
    task: TaskOccurrence
    stay: Stay


def _local_hhmm(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%H:%M}"


async def task_of_ward(
    uow: UnitOfWork, *, actor: Actor, ward_id: int, task_id: int
) -> tuple[Ward, TaskOccurrence]:
    """The ward and task a button names, for an approved member of that ward.

    A non-member, an unknown ward or task, and a task of another ward get one and the same
    refusal: a forged button learns nothing, not even whether the task exists.
    """
    await require_member(uow, ward_id, actor.user_id)
    ward = await uow.wards.get(ward_id)
    task = await uow.tasks.get(task_id)
    if ward is None or task is None or task.ward_id != ward_id:
        raise Forbidden("err.not_member")
    return ward, task


async def _open_task(uow: UnitOfWork, actor: Actor, task_id: int) -> tuple[TaskOccurrence, Ward]:
    task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound("err.task_unknown")
    # Membership first: a non-member learns nothing about the task, not even its state.
    await require_member(uow, task.ward_id, actor.user_id)
    ward = await uow.wards.get(task.ward_id)
    if ward is None:
        raise NotFound("err.task_unknown")
    if not task.pending:
        raise _closed(task, ward)
    return task, ward


def _closed(task: TaskOccurrence, ward: Ward) -> Conflict:
    at = task.done_at or task.cancelled_at
    shown = "" if at is None else _local_hhmm(at, ZoneInfo(ward.timezone))
    return Conflict("err.task_closed", at=shown)


def _task_audit(task: TaskOccurrence) -> dict[str, Any]:
    return {
        "task": task.id,
        "text": task.text,
        "planned_at": task.planned_at.isoformat(),
        "due_at": task.due_at.isoformat(),
        "status": task.status.value,
    }


async def _stay_of(uow: UnitOfWork, task: TaskOccurrence) -> Stay:
    stay = await uow.stays.get(task.stay_id)
    if stay is None:  # a foreign key guarantees it
        raise LookupError(f"stay {task.stay_id} of task {task.id} does not exist")
    return stay


async def acknowledge(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    task_id: int,
    outcome: TaskStatus | str,
    reason: str | None = None,
) -> Acknowledged:
    """A nurse of the task's ward marks it done, or skipped with a reason.

    A task already done, skipped or cancelled is a Conflict and nothing changes, also when
    two nurses press at the same moment: only one press is recorded and audited.
    """
    # The outcome comes from the bot's own buttons: anything else is a bug, not bad input.
    outcome = TaskStatus(outcome)
    if outcome not in (TaskStatus.DONE, TaskStatus.SKIPPED):
        raise ValueError(f"a task is acknowledged done or skipped, not {outcome}")
    task, ward = await _open_task(uow, actor, task_id)
    why = clean_field(reason, limit=MAX_REASON)
    if outcome is TaskStatus.SKIPPED and why is None:
        raise BadInput("err.skip_reason")
    now = clock.now()
    closed = await uow.tasks.close(
        task.id,
        status=outcome,
        at=now,
        by=actor.user_id,
        reason=why if outcome is TaskStatus.SKIPPED else None,
    )
    if closed is None:
        current = await uow.tasks.get(task.id)
        raise _closed(current or task, ward)
    stay = await _stay_of(uow, closed)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        f"task:{outcome.value}",
        f"bed {stay.bed}",
        before=_task_audit(task),
        after={**_task_audit(closed), "reason": closed.skip_reason},
    )
    return Acknowledged(task=closed, stay=stay)


async def snooze(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, task_id: int, minutes: int
) -> Acknowledged:
    """稍后提醒: the task is due again in `minutes` (1-240) and will be sent again then; its
    planned time stays, so the record shows both."""
    if not isinstance(minutes, int) or not 1 <= minutes <= SNOOZE_MAX_MINUTES:
        raise BadInput("err.snooze_minutes", min=1, max=SNOOZE_MAX_MINUTES)
    task, ward = await _open_task(uow, actor, task_id)
    now = clock.now()
    moved = await uow.tasks.snooze(task.id, due_at=now + timedelta(minutes=minutes))
    if moved is None:
        current = await uow.tasks.get(task.id)
        raise _closed(current or task, ward)
    stay = await _stay_of(uow, moved)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "task:snooze",
        f"bed {stay.bed}",
        before=_task_audit(task),
        after=_task_audit(moved),
    )
    return Acknowledged(task=moved, stay=stay)

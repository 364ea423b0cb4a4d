"""Tasks left open past the ward's escalation window: found once, marked once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from boards.model import TaskOccurrence
from boards.ports import UnitOfWork
from boards.tasks._common import policy_of

__all__ = ["due_for_escalation", "mark_escalated"]

_ESCALATION_FLOOR = timedelta(minutes=1)  # WardPolicy allows no shorter window
_ESCALATION_LIMIT = 2000


async def due_for_escalation(
    uow: UnitOfWork, *, now: datetime, limit: int = _ESCALATION_LIMIT
) -> list[TaskOccurrence]:
    """Sent, still pending, not yet escalated tasks past their ward's escalation window.

    The window runs from the due time, or from the sending for a task sent late: a nurse
    gets the full window after a reminder she could not have seen earlier.
    """
    candidates = await uow.tasks.escalation_candidates(
        due_before=now - _ESCALATION_FLOOR, limit=limit
    )
    windows: dict[int, timedelta] = {}
    for ward_id in sorted({t.ward_id for t in candidates}):
        policy = await policy_of(uow, ward_id)
        windows[ward_id] = timedelta(minutes=policy.escalation_minutes)
    return [
        t for t in candidates if max(t.due_at, t.sent_at or t.due_at) + windows[t.ward_id] <= now
    ]


async def mark_escalated(uow: UnitOfWork, *, task_ids: Sequence[int], at: datetime) -> list[int]:
    """Mark tasks escalated where nobody has yet; returns the ids this call marked. The
    caller commits, then sends overdue notices for exactly those: of two instances, one
    gets each id."""
    return await uow.tasks.mark_escalated(task_ids, at=at)

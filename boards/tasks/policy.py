"""The ward's task policy: read it, and let the head nurse change it for future tasks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from boards.access import Actor, record_audit, require_head
from boards.errors import BadInput, Conflict
from boards.model import TaskOccurrence, Ward
from boards.ports import Clock, UnitOfWork
from boards.schedule import ScheduleError, WardPolicy
from boards.tasks._common import policy_of
from boards.tasks.occurrences import HORIZON, sync_ward

__all__ = ["PolicyChange", "get_policy", "set_policy"]


@dataclass(frozen=True, slots=True)
class PolicyChange:
    policy: WardPolicy
    added: int
    cancelled: tuple[TaskOccurrence, ...]


async def get_policy(uow: UnitOfWork, *, ward: Ward) -> WardPolicy:
    """The ward's policy, or the defaults when the head nurse never set one."""
    return await policy_of(uow, ward.id)


def _checked_policy(policy: WardPolicy | Mapping[str, object]) -> WardPolicy:
    if isinstance(policy, WardPolicy):
        return policy
    try:
        return WardPolicy.from_dict(policy)
    except ScheduleError as error:
        # PolicyError already is a BadInput; any other schedule refusal becomes one too.
        if isinstance(error, BadInput):
            raise
        raise BadInput(error.key, **error.params) from error


async def set_policy(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    policy: WardPolicy | Mapping[str, object],
    horizon: timedelta = HORIZON,
) -> PolicyChange:
    """The head nurse sets the ward's policy (a WardPolicy, or its to_dict() document).

    It applies to future tasks only: pending tasks planned from now on are rewritten
    (cancelled where the new policy no longer has them, added where it has new ones, their
    reminder time moved with a new lead); past, done and skipped tasks stay as they are.
    """
    await require_head(uow, ward.id, actor.user_id)
    new = _checked_policy(policy)
    await uow.tasks.lock_ward(ward.id)
    old = await policy_of(uow, ward.id)
    before, after = old.to_dict(), new.to_dict()
    if before == after:
        raise Conflict("err.unchanged")
    now = clock.now()
    await uow.policies.put(ward.id, after, at=now, by=actor.user_id)
    rewrite = await sync_ward(uow, ward, new, now=now, horizon=horizon, rewrite=True)
    await record_audit(
        uow, clock, actor, ward.id, "ward:policy", ward.name, before=before, after=after
    )
    return PolicyChange(policy=new, added=rewrite.added, cancelled=rewrite.cancelled)

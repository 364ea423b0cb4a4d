"""Handover services: which shift just ended, the report loaded from the ports, 接班."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boards.access import Actor, record_audit, require_member
from boards.bedside import bedside_view
from boards.bedside.catalogue import ward_catalogue
from boards.errors import Conflict, Forbidden
from boards.handover.report import COMING_WINDOW, HandoverReport, assemble_report
from boards.i18n import pick
from boards.model import Handover, Role, Ward
from boards.ports import Clock, UnitOfWork
from boards.schedule import Shift, WardPolicy
from boards.tasks._common import policy_of

__all__ = [
    "ShiftSpan",
    "current_span",
    "due_handover",
    "handed_over_by",
    "handover_report",
    "head_nurses",
    "last_span",
    "next_span",
    "take_over",
]

# Once the shift is this far along, a handover never posted (the bot was down the whole
# time) is no longer worth posting: the next one is due soon.
_LATEST_POST = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class ShiftSpan:
    shift: Shift
    start: datetime
    end: datetime


def current_span(policy: WardPolicy, ward: Ward, at: datetime) -> ShiftSpan:
    """The shift running at `at` in the ward's policy, with its start and end (UTC)."""
    shift, start, end = policy.shifts.span_of(at, ZoneInfo(ward.timezone))
    return ShiftSpan(shift, start, end)


def last_span(policy: WardPolicy, ward: Ward, at: datetime) -> ShiftSpan:
    """The shift that ended last before `at` (the one whose handover is due or done)."""
    current = current_span(policy, ward, at)
    return current_span(policy, ward, current.start - timedelta(seconds=1))


def next_span(policy: WardPolicy, ward: Ward, span: ShiftSpan) -> ShiftSpan:
    return current_span(policy, ward, span.end)


async def due_handover(
    uow: UnitOfWork, *, ward: Ward, policy: WardPolicy, now: datetime
) -> ShiftSpan | None:
    """The shift whose handover should be posted now, if any: the one that just ended, for
    a ward that existed before it ended and had patients during it."""
    span = last_span(policy, ward, now)
    if ward.created_at >= span.end or now - span.end > _LATEST_POST:
        return None
    stays = [
        s
        for s in (
            *await uow.stays.active(ward.id),
            *await uow.stays.ended_since(ward.id, span.start),
        )
        if s.admitted_at < span.end
    ]
    return span if stays else None


async def handover_report(
    uow: UnitOfWork, clock: Clock, *, ward: Ward, span: ShiftSpan, locale: str
) -> HandoverReport:
    """The report of the shift `span` (so far, if it is still running), for a reader of
    `locale`: every table read once, whatever the number of beds."""
    policy = await policy_of(uow, ward.id)
    now = clock.now()
    following = next_span(policy, ward, span)
    as_of = min(now, span.end)
    active = await uow.stays.active(ward.id)
    ended = await uow.stays.ended_since(ward.id, span.start)
    stays = [s for s in {s.id: s for s in (*active, *ended)}.values() if s.admitted_at < as_of]
    ids = [s.id for s in stays]
    present = [s for s in stays if s.ended_at is None or s.ended_at >= as_of]
    catalogue = await ward_catalogue(uow, ward)
    return assemble_report(
        ward=ward,
        shift=span.shift,
        start=span.start,
        end=span.end,
        next_shift=following.shift,
        next_end=following.end,
        now=now,
        stays=stays,
        tasks=await uow.tasks.of_stays(ids),
        bedside=await bedside_view(uow, clock, ward=ward, stays=present),
        surgeries=await uow.surgeries.of_stays(ids),
        items=await uow.items.of_stays_between(
            [s.id for s in present], as_of, as_of + COMING_WINDOW
        ),
        overdue_after=timedelta(minutes=policy.escalation_minutes),
        tag_names={k.code: pick(locale, k.name_zh, k.name_en) for k in catalogue.every},
        group_notes=policy.group_notes,
    )


async def handed_over_by(uow: UnitOfWork, *, ward: Ward, span: ShiftSpan) -> int | None:
    """The outgoing nurse: the ward member who last recorded something during the shift
    (an admission, a dose, a tag...), None when nobody did."""
    members = {m.user_id for m in await uow.members.of_ward(ward.id) if m.approved}
    for entry in await uow.audit.of_ward(ward.id, limit=500):
        if span.start <= entry.at < span.end and entry.actor_id in members:
            return entry.actor_id
    return None


async def head_nurses(uow: UnitOfWork, *, ward: Ward) -> list[int]:
    return [
        m.user_id for m in await uow.members.of_ward(ward.id) if m.approved and m.role is Role.HEAD
    ]


async def take_over(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward_id: int, handover_id: int
) -> tuple[Ward, Handover]:
    """接班: an approved member of the ward takes its handover over, once, audited."""
    ward = await uow.wards.get(ward_id)
    handover = await uow.handovers.get(handover_id)
    if ward is None or handover is None or handover.ward_id != ward_id:
        raise Forbidden("err.not_member")
    await require_member(uow, ward_id, actor.user_id)
    taken = await uow.handovers.take_over(handover_id, by=actor.user_id, at=clock.now())
    if taken is None:
        raise Conflict("handover.already_taken")
    await record_audit(
        uow,
        clock,
        actor,
        ward_id,
        "handover:take",
        f"shift {handover.shift_code} {handover.shift_start.isoformat()}",
        after={"handed_over_by": handover.handed_over_by, "taken_over_by": actor.user_id},
    )
    return ward, taken

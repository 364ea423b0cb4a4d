"""Medication orders and reminders of a patient: record them, list them, stop them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import Actor, occupant, record_audit, require_member
from boards.errors import BadInput, Conflict, NotFound
from boards.model import MedicationOrder, Reminder, Stay, TaskKind, TaskOccurrence, Ward
from boards.ports import Clock, UnitOfWork
from boards.schedule import Frequency
from boards.tasks._common import policy_of
from boards.tasks.occurrences import HORIZON, order_source, reminder_source, top_up
from boards.tasks.parsing import MAX_DOSE, MAX_DRUG, MAX_REMIND_TEXT, MedArgs, RemindArgs
from boards.text import clean_field

__all__ = [
    "NumberedOrder",
    "NumberedReminder",
    "Prescribed",
    "Stopped",
    "add_reminder",
    "list_orders",
    "list_reminders",
    "prescribe",
    "stop",
]

# A one-off reminder for "14:30" typed at 14:30:40 is for now, not in the past.
_REMIND_GRACE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class NumberedOrder:
    """An order with its number on the patient's list (stable: stopped ones keep theirs)."""

    number: int
    order: MedicationOrder
    active: bool


@dataclass(frozen=True, slots=True)
class NumberedReminder:
    number: int
    reminder: Reminder
    active: bool


@dataclass(frozen=True, slots=True)
class Prescribed:
    stay: Stay
    number: int
    order: MedicationOrder
    upcoming: tuple[TaskOccurrence, ...]  # its pending tasks now materialised


@dataclass(frozen=True, slots=True)
class Stopped:
    """A stopped order or reminder and the future tasks that were cancelled with it; the
    bot edits the messages of those already sent."""

    stay: Stay
    number: int
    source: MedicationOrder | Reminder
    cancelled: tuple[TaskOccurrence, ...]


def _numbered_orders(orders: Sequence[MedicationOrder], now: datetime) -> list[NumberedOrder]:
    ordered = sorted(orders, key=lambda o: o.id)
    return [NumberedOrder(n, o, o.active(now)) for n, o in enumerate(ordered, start=1)]


def _order_audit(order: MedicationOrder) -> dict[str, Any]:
    return {
        "drug": order.drug,
        "dose": order.dose,
        "route": order.route.value,
        "freq": order.freq.value,
        "start_at": order.start_at.isoformat(),
        "stop_at": order.stop_at.isoformat() if order.stop_at else None,
    }


async def prescribe(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    args: MedArgs,
    horizon: timedelta = HORIZON,
) -> Prescribed:
    """Record a medication order for the patient in `bed` and materialise its doses.

    A start in the past is the order's start, but only doses from now on are reminded;
    st is one dose at its start, or now if that has passed; prn records the order only.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    now = clock.now()
    start = (args.start or now).astimezone(UTC)
    if args.freq is Frequency.ST:
        start = max(start, now)
    if args.stop is not None and args.stop <= now:
        raise BadInput("err.med_stop_past")
    if args.stop is not None and args.stop <= start:
        raise BadInput("err.med_stop_before_start")
    drug = clean_field(args.drug, limit=MAX_DRUG)
    dose = clean_field(args.dose, limit=MAX_DOSE)
    if drug is None or dose is None:
        raise BadInput("err.med_form")
    await uow.tasks.lock_ward(ward.id)
    policy = await policy_of(uow, ward.id)
    order = await uow.orders.add(
        MedicationOrder(
            id=0,
            stay_id=stay.id,
            drug=drug,
            dose=dose,
            route=args.route,
            freq=args.freq,
            start_at=start,
            stop_at=None if args.stop is None else args.stop.astimezone(UTC),
            created_at=now,
            created_by=actor.user_id,
        )
    )
    source = order_source(order, policy, ZoneInfo(ward.timezone))
    await top_up(uow, ward, policy, [source], now=now, horizon=horizon)
    number = len(await uow.orders.of_stays([stay.id]))
    upcoming = await uow.tasks.pending_of_sources(TaskKind.MED, [order.id])
    await record_audit(
        uow, clock, actor, ward.id, "med:prescribe", f"bed {bed}", after=_order_audit(order)
    )
    return Prescribed(stay=stay, number=number, order=order, upcoming=tuple(upcoming))


async def list_orders(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> tuple[Stay, list[NumberedOrder]]:
    """`/meds <bed>`: every order of the stay with its number, stopped ones marked."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    return stay, _numbered_orders(await uow.orders.of_stays([stay.id]), clock.now())


async def _cancel_from(
    uow: UnitOfWork, kind: TaskKind, source_id: int, cut: datetime, now: datetime
) -> list[TaskOccurrence]:
    pending = await uow.tasks.pending_of_sources(kind, [source_id])
    return await uow.tasks.cancel([t.id for t in pending if t.planned_at >= cut], at=now)


def _numbered_reminders(items: Sequence[Reminder], now: datetime) -> list[NumberedReminder]:
    ordered = sorted(items, key=lambda r: r.id)
    return [NumberedReminder(n, r, r.active(now)) for n, r in enumerate(ordered, start=1)]


def _reminder_audit(reminder: Reminder) -> dict[str, Any]:
    return {
        "text": reminder.text,
        "due_at": reminder.due_at.isoformat(),
        "daily_at": None if reminder.daily_at is None else f"{reminder.daily_at:%H:%M}",
    }


async def add_reminder(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    args: RemindArgs,
    horizon: timedelta = HORIZON,
) -> tuple[Stay, NumberedReminder]:
    """`/remind <bed> <time> <text>`: a one-off task at a time (not in the past), or a
    daily one at a clock time from now on."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    now = clock.now()
    text = clean_field(args.text, limit=MAX_REMIND_TEXT)
    if text is None or (args.due_at is None) == (args.daily_at is None):
        raise BadInput("err.remind_form")
    if args.due_at is not None:
        if args.due_at < now - _REMIND_GRACE:
            raise BadInput("err.remind_past")
        due = max(args.due_at.astimezone(UTC), now)
    else:
        due = now
    await uow.tasks.lock_ward(ward.id)
    policy = await policy_of(uow, ward.id)
    reminder = await uow.reminders.add(
        Reminder(
            id=0,
            stay_id=stay.id,
            text=text,
            due_at=due,
            created_at=now,
            created_by=actor.user_id,
            daily_at=args.daily_at,
        )
    )
    source = reminder_source(reminder, ZoneInfo(ward.timezone))
    await top_up(uow, ward, policy, [source], now=now, horizon=horizon)
    number = len(await uow.reminders.of_stays([stay.id]))
    await record_audit(
        uow, clock, actor, ward.id, "remind:add", f"bed {bed}", after=_reminder_audit(reminder)
    )
    return stay, NumberedReminder(number, reminder, True)


async def list_reminders(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> tuple[Stay, list[NumberedReminder]]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    return stay, _numbered_reminders(await uow.reminders.of_stays([stay.id]), clock.now())


@dataclass(frozen=True, slots=True)
class _Stopping:
    """What differs between stopping an order and a reminder: the words of the refusals
    and of the audit."""

    not_found: str
    already: str
    audit: str


_STOPPING = {
    TaskKind.MED: _Stopping("err.med_number", "err.med_stopped", "med:stop"),
    TaskKind.REMINDER: _Stopping("err.remind_number", "err.remind_stopped", "remind:stop"),
}


async def stop(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    kind: TaskKind,
    number: int,
) -> Stopped:
    """`/stopmed <bed> <number>` (a medication order, `kind` MED) and `/stopremind <bed>
    <number>` (a reminder, daily or one-off not yet due; `kind` REMINDER), the number as
    `/meds` lists it: stop it now. Its pending tasks planned from now on are cancelled (kept,
    marked cancelled); earlier ones stay open to be done or skipped."""
    words = _STOPPING[kind]  # line care is not stopped by number: a line is removed
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    await uow.tasks.lock_ward(ward.id)
    now = clock.now()
    numbered: Sequence[NumberedOrder | NumberedReminder] = (
        _numbered_orders(await uow.orders.of_stays([stay.id]), now)
        if kind is TaskKind.MED
        else _numbered_reminders(await uow.reminders.of_stays([stay.id]), now)
    )
    chosen = next((n for n in numbered if n.number == number), None)
    if chosen is None:
        raise NotFound(words.not_found, bed=bed, number=number)
    if not chosen.active:
        raise Conflict(words.already, number=number)
    stopped: MedicationOrder | Reminder
    if isinstance(chosen, NumberedOrder):
        before = _order_audit(chosen.order)
        stopped = await uow.orders.update(
            dataclasses.replace(chosen.order, stopped_at=now, stopped_by=actor.user_id)
        )
    else:
        before = _reminder_audit(chosen.reminder)
        stopped = await uow.reminders.update(
            dataclasses.replace(chosen.reminder, stopped_at=now, stopped_by=actor.user_id)
        )
    cancelled = await _cancel_from(uow, kind, stopped.id, now, now)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        words.audit,
        f"bed {bed}",
        before=before,
        after={"stopped_at": now.isoformat(), "cancelled": len(cancelled)},
    )
    return Stopped(stay=stay, number=number, source=stopped, cancelled=tuple(cancelled))

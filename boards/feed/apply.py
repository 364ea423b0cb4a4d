"""Applying one census event from the hospital system, matched on identifiers, never names.

Events: admit, transfer, discharge, update, the three cancels, swap. The hospital system
is the source of truth for who lies in which bed, so its movements are applied at once (a
transfer between two wards needs no acceptance); the ward's own tags, lines, notes and
tasks stay on top. Each change is audited with the HIS as actor.
A change to a bed a nurse edited by hand in the last half hour is applied, and the ward
is told (`Applied.notices`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import Actor, new_stay_token, record_audit, stay_audit
from boards.errors import BadInput, Conflict, NotFound
from boards.feed.events import CensusEvent, EventKind, Person, Place
from boards.model import Age, HisMessage, Stay, StayStatus, TransferState, Ward
from boards.parsing import check_text, parse_bed, parse_name
from boards.ports import Clock, UnitOfWork
from boards.text import clean_text

__all__ = ["CONFLICT_WINDOW", "HIS_ACTOR", "Applied", "Notice", "apply_event", "units_of"]

# Telegram user ids are positive: 0 is nobody's, the hospital system's own.
HIS_ACTOR = Actor(0, "HIS")
# A nurse's hand edit of a bed this recent, overridden by the feed, is worth telling.
CONFLICT_WINDOW = timedelta(minutes=30)
# How far back a cancelled discharge or transfer finds the stay it reopens.
_REOPEN_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Notice:
    """The feed changed a bed a nurse edited recently: the ward group hears of it."""

    ward_id: int
    bed: str
    name: str
    kind: EventKind


@dataclass
class Applied:
    """What an event changed: the wards whose board to refresh, and what to tell them."""

    wards: set[int] = field(default_factory=set)
    notices: list[Notice] = field(default_factory=list)


def units_of(event: CensusEvent) -> list[str]:
    """The points of care an event touches: events of one ward are applied in order."""
    units = {p.unit for person in event.people for p in (person.place, person.prior) if p.unit}
    return sorted(units)


async def apply_event(uow: UnitOfWork, clock: Clock, event: CensusEvent) -> Applied:
    """Apply `event` in the caller's unit of work (the caller commits), or refuse it.

    A refusal (`WardError`) changes nothing: the caller rolls back. The same message id
    seen before ends in a `Conflict` when it is recorded (the unique control id): the
    caller rolls back what it did again and answers as before.
    """
    if not event.people:
        raise BadInput("feed.no_patient")
    run = _Run(uow, clock, event)
    handler = _HANDLERS[event.kind]
    ward_id = await handler(run)
    # Only what was applied is remembered: a refused message sent again once the ward is
    # mapped (or the bed freed) is judged again.
    await uow.his_messages.add(
        HisMessage(
            control_id=event.message_id,
            ward_id=ward_id,
            received_at=clock.now(),
            event=event.code[:16],
            ack_code="AA",
        )
    )
    return run.applied


class _Run:
    """One event being applied: lookups, audit and conflict checks share its state."""

    def __init__(self, uow: UnitOfWork, clock: Clock, event: CensusEvent) -> None:
        self.uow = uow
        self.clock = clock
        self.event = event
        self.applied = Applied()
        self._wards: dict[str, Ward | None] = {}

    @property
    def person(self) -> Person:
        return self.event.people[0]

    async def ward(self, unit: str | None) -> Ward | None:
        if not unit:
            return None
        if unit not in self._wards:
            self._wards[unit] = await self.uow.wards.by_his_code(unit)
        return self._wards[unit]

    async def mapped_ward(self, place: Place) -> Ward:
        if not place.unit:
            raise BadInput("feed.no_unit")
        ward = await self.ward(place.unit)
        if ward is None:
            raise NotFound("feed.unknown_unit", unit=place.unit)
        return ward

    def bed(self, ward: Ward, place: Place) -> str:
        if not place.bed:
            raise BadInput("feed.no_bed")
        bed = place.bed
        # Some systems write the bed with its unit in front (4A-12, 4A12): the ward's bed 12.
        code = ward.his_code or ""
        if code and bed.upper().startswith(code.upper()) and len(bed) > len(code):
            bed = bed[len(code) :].lstrip("-_ /")
        return parse_bed(bed, bed_count=ward.bed_count)

    async def find(self, person: Person, *places: Place) -> tuple[Ward, Stay] | None:
        """The patient's active stay: in the wards named first, then in any mapped ward."""
        active = await self.uow.stays.active_with_wards(person.admission_no)
        for _, ward in active:
            # The wards come with the stays: the message's own unit, hers in the usual
            # case, needs no lookup of its own.
            if ward.his_code is not None:
                self._wards.setdefault(ward.his_code, ward)
        named = {w.id: w for w in [await self.ward(p.unit) for p in places] if w is not None}
        order = list(named)
        active.sort(
            key=lambda found: order.index(found[1].id) if found[1].id in named else len(order)
        )
        for stay, ward in active:
            # An unmapped ward's patient is the nurses' own, never the feed's.
            if ward.his_code is not None:
                return ward, stay
        return None

    async def require(self, person: Person, *places: Place) -> tuple[Ward, Stay]:
        found = await self.find(person, *places)
        if found is None:
            raise NotFound("feed.unknown_patient", number=person.admission_no)
        return found

    def when(self, ward: Ward, value: datetime | None) -> datetime:
        """A time the hospital gave (wall time of the ward when naive), else now."""
        value = value or self.event.occurred_at
        if value is None:
            return self.clock.now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(ward.timezone))
        return value

    async def free_bed(self, ward: Ward, bed: str, stay: Stay | None) -> None:
        occupant = await self.uow.stays.active_in_bed(ward.id, bed)
        if occupant is not None and (stay is None or occupant.id != stay.id):
            raise Conflict("feed.bed_taken", bed=bed)

    async def audit(
        self,
        ward: Ward,
        action: str,
        bed: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        stay: Stay | None = None,
        into_empty: bool = False,
    ) -> None:
        if into_empty:
            # A patient into an empty bed overrides nothing a nurse did there.
            self.applied.wards.add(ward.id)
        else:
            await self.touched(ward, bed, stay)
        source = {"source": "HIS", "message": self.event.message_id}
        await record_audit(
            self.uow,
            self.clock,
            HIS_ACTOR,
            ward.id,
            action,
            f"bed {bed}",
            before=before,
            after={**(after or {}), **source},
        )

    async def touched(self, ward: Ward, bed: str, stay: Stay | None) -> None:
        """Mark the ward changed; a nurse's recent hand edit of the bed is a notice."""
        self.applied.wards.add(ward.id)
        since = self.clock.now() - CONFLICT_WINDOW
        if await self.uow.audit.by_hand_since(ward.id, f"bed {bed}", since):
            notice = Notice(ward.id, bed, stay.name if stay is not None else "", self.event.kind)
            if notice not in self.applied.notices:
                self.applied.notices.append(notice)

    def details(self, ward: Ward, person: Person, stay: Stay | None) -> dict[str, Any]:
        """The patient's details the event gives, checked like a nurse's own typing."""
        out: dict[str, Any] = {}
        if person.name is not None:
            out["name"] = parse_name(person.name)
        if person.sex is not None:
            out["sex"] = person.sex
        if person.birth_date is not None:
            out["age"] = age_on(person.birth_date, self.when(ward, None), ward.timezone)
        if person.diagnosis is not None and clean_text(person.diagnosis):
            out["diagnosis"] = check_text(person.diagnosis)
        if person.visit_no:
            out["visit_no"] = person.visit_no
        if stay is None:
            for needed in ("name", "sex", "age"):
                if needed not in out:
                    raise BadInput(f"feed.no_{needed}")
        return out

    async def new_stay(
        self, ward: Ward, bed: str, person: Person, *, transferred_from: str | None = None
    ) -> Stay:
        details = self.details(ward, person, None)
        stay = await self.uow.stays.add(
            Stay(
                id=0,
                ward_id=ward.id,
                bed=bed,
                name=details["name"],
                sex=details["sex"],
                age=details["age"],
                diagnosis=details.get("diagnosis"),
                level=None,
                admitted_at=self.when(ward, person.admitted_at),
                token=new_stay_token(),
                transferred_from=transferred_from,
                admission_no=person.admission_no,
                visit_no=details.get("visit_no"),
            )
        )
        return stay

    async def end(
        self,
        ward: Ward,
        stay: Stay,
        status: StayStatus,
        at: datetime,
        moved_to: str | None,
        *,
        action: str,
    ) -> Stay:
        """The stay ended (discharge, transfer out, a cancelled admit or arrival), audited."""
        # An offer to another ward ends with the stay: the hospital has decided.
        for offer in await self.uow.transfers.pending_from(ward.id):
            if offer.stay_id == stay.id:
                await self.uow.transfers.decide(
                    offer.id, state=TransferState.CANCELLED, by=HIS_ACTOR.user_id, at=at
                )
        ended = await self.uow.stays.update(
            dataclasses.replace(
                stay,
                status=status,
                ended_at=at,
                transferred_to=moved_to,
                token=new_stay_token(),
            )
        )
        await self.audit(
            ward, action, stay.bed, before=stay_audit(stay), after=stay_audit(ended), stay=stay
        )
        return ended


def age_on(born: date, at: datetime, timezone: str) -> Age:
    """The age a ward writes: years, months under two, days under a month."""
    today = at.astimezone(ZoneInfo(timezone)).date()
    if born > today:
        raise BadInput("feed.birth_future")
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if months >= 24:
        return Age(months // 12, "y")
    if months >= 1:
        return Age(months, "m")
    return Age((today - born).days, "d")


async def _admit(run: _Run) -> int:
    person = run.person
    ward = await run.mapped_ward(person.place)
    bed = run.bed(ward, person.place)
    holding = await run.uow.stays.active_by_admission_or_bed(ward.id, person.admission_no, bed)
    existing = next((s for s in holding if s.admission_no == person.admission_no), None)
    if any(s.bed == bed and s is not existing for s in holding):
        raise Conflict("feed.bed_taken", bed=bed)
    if existing is not None:
        # Admitted already (typed in by a nurse with the number, or sent twice under two
        # ids): the event's details and bed win.
        return await _update_stay(run, ward, existing, person, bed)
    stay = await run.new_stay(ward, bed, person)
    await run.audit(ward, "stay:admit", bed, after=stay_audit(stay), stay=stay, into_empty=True)
    return ward.id


async def _update_stay(run: _Run, ward: Ward, stay: Stay, person: Person, bed: str) -> int:
    details = run.details(ward, person, stay)
    changed = dataclasses.replace(stay, bed=bed, **details)
    if changed != stay:
        updated = await run.uow.stays.update(changed)
        await run.audit(
            ward,
            "stay:update",
            stay.bed,
            before=stay_audit(stay),
            after=stay_audit(updated),
            stay=updated,
        )
    return ward.id


async def _update(run: _Run) -> int:
    person = run.person
    ward, stay = await run.require(person, person.place)
    return await _update_stay(run, ward, stay, person, stay.bed)


async def _discharge(run: _Run) -> int:
    person = run.person
    ward, stay = await run.require(person, person.place)
    at = run.when(ward, person.discharged_at)
    await run.end(ward, stay, StayStatus.DISCHARGED, at, None, action="stay:discharge")
    return ward.id


async def _cancel_admit(run: _Run) -> int:
    person = run.person
    ward, stay = await run.require(person, person.place)
    await run.end(
        ward, stay, StayStatus.CANCELLED, run.clock.now(), None, action="stay:cancel_admit"
    )
    return ward.id


async def _cancel_discharge(run: _Run) -> int:
    person = run.person
    ward = await run.mapped_ward(person.place)
    if await run.uow.stays.active_by_admission(ward.id, person.admission_no) is not None:
        return ward.id  # in a bed already: nothing to reopen
    since = run.clock.now() - _REOPEN_WINDOW
    ended = [
        s
        for s in await run.uow.stays.by_admission(person.admission_no)
        if s.ward_id == ward.id
        and s.status is StayStatus.DISCHARGED
        and (s.ended_at is None or s.ended_at >= since)
    ]
    if not ended:
        raise NotFound("feed.unknown_patient", number=person.admission_no)
    stay = max(ended, key=lambda s: (s.ended_at or s.admitted_at, s.id))
    bed = run.bed(ward, person.place) if person.place.bed else stay.bed
    return await _reopen(run, ward, stay, bed, "stay:cancel_discharge")


async def _reopen(run: _Run, ward: Ward, stay: Stay, bed: str, action: str, **changes: Any) -> int:
    """A cancelled end (A13, A12): the stay itself active again in `bed`, audited."""
    await run.free_bed(ward, bed, None)
    reopened = await run.uow.stays.update(
        dataclasses.replace(stay, bed=bed, status=StayStatus.ACTIVE, ended_at=None, **changes)
    )
    await run.audit(
        ward, action, bed, before=stay_audit(stay), after=stay_audit(reopened), stay=reopened
    )
    return ward.id


async def _transfer(run: _Run) -> int:
    """Into PV1-3 from wherever the patient is: a bed move, a ward-to-ward transfer, a
    transfer out to a unit no ward maps, or an arrival from one. A cancelled transfer
    (A12) names the place the patient goes back to the same way."""
    person = run.person
    target = await run.ward(person.place.unit)
    found = await run.find(person, person.prior, person.place)
    if found is None:
        if target is None:
            if person.place.unit and not await run.ward(person.prior.unit):
                raise NotFound("feed.unknown_unit", unit=person.place.unit)
            raise NotFound("feed.unknown_patient", number=person.admission_no)
        bed = run.bed(target, person.place)
        await run.free_bed(target, bed, None)
        arrived = await run.new_stay(target, bed, person, transferred_from=person.prior.unit)
        await run.audit(
            target, "stay:transfer_in", bed, after=stay_audit(arrived), into_empty=True
        )
        return target.id
    ward, stay = found
    if target is not None and target.id == ward.id:
        bed = run.bed(ward, person.place)
        await run.free_bed(ward, bed, stay)
        if bed != stay.bed:
            await run.touched(ward, bed, stay)
        return await _update_stay(run, ward, stay, person, bed)
    at = run.when(ward, None)
    if target is None:
        moved_to = person.place.unit or "?"
    else:
        bed = run.bed(target, person.place)
        await run.free_bed(target, bed, None)
        moved_to = target.name
    await run.end(ward, stay, StayStatus.TRANSFERRED, at, moved_to, action="stay:transfer_out")
    if target is None:
        return ward.id
    details = run.details(target, person, stay)
    arrived = await run.uow.stays.add(
        dataclasses.replace(
            stay,
            **details,
            id=0,
            ward_id=target.id,
            bed=bed,
            admitted_at=at,
            token=new_stay_token(),
            transferred_from=ward.name,
            transferred_to=None,
        )
    )
    await run.audit(target, "stay:transfer_in", bed, after=stay_audit(arrived), into_empty=True)
    return target.id


async def _cancel_transfer(run: _Run) -> int:
    """A12: the transfer did not happen; PV1-3 names where the patient is again, PV1-6 the
    unit she was sent to.

    When that ward ended her stay by the transfer, the stay is reopened in its bed (so the
    ward keeps her tags, lines, notes and tasks) and the stay the receiving ward opened is
    cancelled, as if it never was. Otherwise (a bed move within one ward, or no such stay
    to reopen) she is moved back like an A02.
    """
    person = run.person
    home = await run.ward(person.place.unit)
    if home is None:
        return await _transfer(run)
    original = await _left_by_transfer(run, home, person)
    found = await run.find(person, person.prior)
    if original is None or (found is not None and found[0].id == home.id):
        return await _transfer(run)
    if found is not None:
        # The receiving ward's stay ends first: the patient may go back to the same bed
        # number only once no stay of hers holds one.
        ward, stay = found
        await run.end(
            ward,
            stay,
            StayStatus.CANCELLED,
            run.clock.now(),
            None,
            action="stay:cancel_transfer_in",
        )
    bed = run.bed(home, person.place) if person.place.bed else original.bed
    return await _reopen(run, home, original, bed, "stay:cancel_transfer_out", transferred_to=None)


async def _left_by_transfer(run: _Run, ward: Ward, person: Person) -> Stay | None:
    """The patient's latest stay in `ward`, if it ended by a transfer out lately."""
    since = run.clock.now() - _REOPEN_WINDOW
    stays = [
        s for s in await run.uow.stays.by_admission(person.admission_no) if s.ward_id == ward.id
    ]
    if not stays:
        return None
    latest = max(stays, key=lambda s: (s.ended_at or s.admitted_at, s.id))
    if latest.status is not StayStatus.TRANSFERRED or latest.ended_at is None:
        return None
    return latest if latest.ended_at >= since else None


async def _swap(run: _Run) -> int:
    """Two patients of one ward exchange beds (A17)."""
    if len(run.event.people) != 2:
        raise BadInput("feed.swap_two")
    one, two = run.event.people
    ward, first = await run.require(one, one.place, two.place)
    other_ward, second = await run.require(two, two.place, one.place)
    if other_ward.id != ward.id:
        raise Conflict("feed.swap_wards")
    if first.id == second.id:
        raise BadInput("feed.swap_two")
    # Each patient goes to the bed the other holds: a message whose beds say otherwise
    # was written against another census than the ward's, and changes nothing.
    for person, other in ((one, second), (two, first)):
        if person.place.bed and run.bed(ward, person.place) != other.bed:
            raise Conflict("feed.swap_beds", bed=run.bed(ward, person.place))
    # One bed may hold one active patient: the first steps aside for a moment.
    aside = await run.uow.stays.update(dataclasses.replace(first, bed=f"~{first.id}"[:16]))
    moved_two = await run.uow.stays.update(dataclasses.replace(second, bed=first.bed))
    moved_one = await run.uow.stays.update(dataclasses.replace(aside, bed=second.bed))
    for before, after in ((first, moved_one), (second, moved_two)):
        await run.audit(
            ward,
            "stay:move",
            before.bed,
            before={"bed": before.bed},
            after={"bed": after.bed},
            stay=after,
        )
    return ward.id


_HANDLERS = {
    EventKind.ADMIT: _admit,
    EventKind.TRANSFER: _transfer,
    EventKind.DISCHARGE: _discharge,
    EventKind.UPDATE: _update,
    EventKind.CANCEL_ADMIT: _cancel_admit,
    EventKind.CANCEL_TRANSFER: _cancel_transfer,
    EventKind.CANCEL_DISCHARGE: _cancel_discharge,
    EventKind.SWAP: _swap,
}

"""What nurses and head nurses do, as small services over the ports: validate, change, audit."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boards.access import (
    Actor,
    new_stay_token,
    occupant,
    record_audit,
    require_head,
    require_member,
    stay_audit,
)
from boards.board_data import BoardData, day_bounds
from boards.errors import BadInput, Conflict, Forbidden, NotFound
from boards.hospital import Hospital, require_operator
from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    Member,
    MemberStatus,
    NursingLevel,
    Role,
    Sex,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    TransferState,
    UserPrefs,
    Ward,
)
from boards.parsing import MAX_NAME, check_text, parse_name
from boards.ports import Clock, UnitOfWork
from boards.text import clean_text, excerpt

__all__ = [
    "PatientCard",
    "add_item",
    "admit",
    "bind_group",
    "board_data",
    "create_ward",
    "current_ward",
    "discharge",
    "move_bed",
    "patient_card",
    "schedule_surgery",
    "set_critical",
    "set_locale",
    "set_surgery_state",
    "set_ward_locale",
    "switch_ward",
    "unbind_group",
    "ward_for_group",
]


@dataclass(frozen=True, slots=True)
class PatientCard:
    ward: Ward
    stay: Stay
    surgeries: tuple[Surgery, ...]
    items: tuple[BoardItem, ...]


# --- wards and people -------------------------------------------------------------------


async def create_ward(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    hospital: Hospital,
    name: str,
    timezone: str,
    locale: str,
    bed_count: int | None = None,
) -> Ward:
    require_operator(hospital, actor.user_id)
    name = clean_text(name)
    if not name:
        raise BadInput("err.ward_name_form")
    if len(name) > MAX_NAME:
        raise BadInput("err.too_long", limit=MAX_NAME)
    if bed_count is not None and not 1 <= bed_count <= 999:
        raise BadInput("err.bed_count_form")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput("err.timezone", tz=timezone) from exc
    if await uow.wards.by_name(name) is not None:
        raise Conflict("err.ward_exists", ward=name)
    now = clock.now()
    ward = await uow.wards.add(
        name=name, timezone=timezone, locale=locale, created_at=now, bed_count=bed_count
    )
    await uow.members.put(
        Member(ward.id, actor.user_id, actor.name, Role.HEAD, MemberStatus.APPROVED, now)
    )
    prefs = await uow.users.get(actor.user_id) or UserPrefs(actor.user_id)
    await uow.users.put(dataclasses.replace(prefs, current_ward_id=ward.id))
    await record_audit(
        uow, clock, actor, ward.id, "ward:create", name, after={"name": name, "beds": bed_count}
    )
    return ward


async def current_ward(
    uow: UnitOfWork, *, user_id: int, memberships: Sequence[Member] | None = None
) -> tuple[Ward, Member]:
    """The ward a private-chat command acts on: the one chosen with /ward, or the only one.

    Never another one silently: a nurse whose chosen ward is no longer hers is asked to
    choose, even if she has just one other ward. `memberships`: hers, if already read in
    this unit of work (`members.of_user`).
    """
    prefs = await uow.users.get(user_id)
    if memberships is None:
        memberships = await uow.members.of_user(user_id)
    approved = [m for m in memberships if m.approved]
    if prefs is not None and prefs.current_ward_id is not None:
        member = next((m for m in approved if m.ward_id == prefs.current_ward_id), None)
        ward = await uow.wards.get(prefs.current_ward_id)
        if member is not None and ward is not None:
            return ward, member
        if approved:
            raise NotFound("err.ward_lost")
    if len(approved) == 1:
        ward = await uow.wards.get(approved[0].ward_id)
        if ward is not None:
            return ward, approved[0]
    if approved:
        raise NotFound("err.choose_ward")
    raise NotFound("err.no_ward")


async def ward_for_group(uow: UnitOfWork, *, chat_id: int, user_id: int) -> tuple[Ward, Member]:
    ward = await uow.wards.by_group(chat_id)
    if ward is None:
        raise NotFound("err.group_unbound")
    return ward, await require_member(uow, ward.id, user_id)


async def switch_ward(
    uow: UnitOfWork, *, actor: Actor, name: str | None = None, ward_id: int | None = None
) -> Ward:
    """Make one of her own wards the nurse's current one, named or by id (a button)."""
    wanted = clean_text(name or "")
    for member in await uow.members.of_user(actor.user_id):
        if not member.approved or (ward_id is not None and member.ward_id != ward_id):
            continue
        ward = await uow.wards.get(member.ward_id)
        if ward is not None and (ward_id is not None or ward.name == wanted):
            prefs = await uow.users.get(actor.user_id) or UserPrefs(actor.user_id)
            await uow.users.put(dataclasses.replace(prefs, current_ward_id=ward.id))
            return ward
    if ward_id is not None:
        # A forged or stale button: say nothing about the ward it names.
        raise Forbidden("err.not_member")
    raise NotFound("err.ward_unknown", ward=excerpt(wanted, MAX_NAME))


async def set_locale(uow: UnitOfWork, *, user_id: int, locale: str) -> None:
    prefs = await uow.users.get(user_id) or UserPrefs(user_id)
    await uow.users.put(dataclasses.replace(prefs, locale=locale))


async def set_ward_locale(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, locale: str
) -> Ward:
    """The head nurse chooses the ward's language: the board, group messages and signs."""
    await require_head(uow, ward.id, actor.user_id)
    if ward.locale == locale:
        raise Conflict("err.unchanged")
    changed = await uow.wards.update(dataclasses.replace(ward, locale=locale))
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:locale",
        locale,
        before={"locale": ward.locale},
        after={"locale": locale},
    )
    return changed


async def warn_group_sees_once(uow: UnitOfWork, clock: Clock, *, user_id: int) -> bool:
    """Whether to tell the nurse that notes typed here are read by the whole ward group:
    the first time only (that she was told is recorded)."""
    prefs = await uow.users.get(user_id) or UserPrefs(user_id)
    if prefs.notes_warned_at is not None:
        return False
    await uow.users.put(dataclasses.replace(prefs, notes_warned_at=clock.now()))
    return True


async def bind_group(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, chat_id: int
) -> Ward:
    await require_head(uow, ward.id, actor.user_id)
    other = await uow.wards.by_group(chat_id)
    if other is not None and other.id != ward.id:
        raise Conflict("err.group_taken")
    # A new binding starts clean: whatever was wrong with the old group is not this one's.
    bound = await uow.wards.update(
        dataclasses.replace(
            ward,
            group_chat_id=chat_id,
            board_message_id=None,
            group_problem=None,
            group_problem_since=None,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:bind",
        str(chat_id),
        before={"group": ward.group_chat_id},
        after={"group": chat_id},
    )
    return bound


async def unbind_group(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward) -> Ward:
    await require_head(uow, ward.id, actor.user_id)
    if ward.group_chat_id is None:
        raise Conflict("err.not_bound")
    unbound = await uow.wards.update(
        dataclasses.replace(
            ward,
            group_chat_id=None,
            board_message_id=None,
            group_problem=None,
            group_problem_since=None,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:unbind",
        str(ward.group_chat_id),
        before={"group": ward.group_chat_id},
        after={"group": None},
    )
    return unbound


# --- patients -----------------------------------------------------------------------------


async def admit(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    name: str,
    sex: Sex,
    age: Age,
    diagnosis: str | None = None,
    level: NursingLevel | None = None,
    admission_no: str | None = None,
    admitted_at: datetime | None = None,
    source: str | None = None,
    visit_no: str | None = None,
) -> Stay:
    """`source` names where it came from in the audit ("import", "HIS"); a nurse's is None.

    `admission_no` (住院号 / MRN) and `visit_no` identify the patient to the hospital
    system; `admitted_at` defaults to now.
    """
    await require_member(uow, ward.id, actor.user_id)
    # Cleaned here too (boards.text), whichever adapter the name came from.
    name = parse_name(name)
    if diagnosis is not None:
        diagnosis = check_text(diagnosis) if clean_text(diagnosis) else None
    if await uow.stays.active_in_bed(ward.id, bed) is not None:
        raise Conflict("err.bed_occupied", bed=bed)
    if admission_no is not None:
        other = await uow.stays.active_by_admission(ward.id, admission_no)
        if other is not None:
            raise Conflict("err.admission_no_taken", number=admission_no, bed=other.bed)
    stay = await uow.stays.add(
        Stay(
            id=0,
            ward_id=ward.id,
            bed=bed,
            name=name,
            sex=sex,
            age=age,
            diagnosis=diagnosis,
            level=level,
            admitted_at=admitted_at or clock.now(),
            token=new_stay_token(),
            admission_no=admission_no,
            visit_no=visit_no,
        )
    )
    after = stay_audit(stay) | ({"source": source} if source else {})
    await record_audit(uow, clock, actor, ward.id, "stay:admit", f"bed {bed}", after=after)
    return stay


async def _end_stay(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    ward: Ward,
    stay: Stay,
    status: StayStatus,
    action: str,
    transferred_to: str | None = None,
) -> Stay:
    ended = await uow.stays.update(
        dataclasses.replace(
            stay,
            status=status,
            ended_at=clock.now(),
            transferred_to=transferred_to,
            # The sign's QR stops working the moment the patient leaves the bed.
            token=new_stay_token(),
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        action,
        f"bed {stay.bed}",
        before=stay_audit(stay),
        after=stay_audit(ended),
    )
    return ended


async def discharge(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str) -> Stay:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    # An offer to another ward ends with the stay: the arrival there is withdrawn.
    for offer in await uow.transfers.pending_from(ward.id):
        if offer.stay_id == stay.id:
            await uow.transfers.decide(
                offer.id, state=TransferState.CANCELLED, by=actor.user_id, at=clock.now()
            )
    return await _end_stay(uow, clock, actor, ward, stay, StayStatus.DISCHARGED, "stay:discharge")


async def move_bed(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str, new_bed: str
) -> Stay:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    if new_bed == bed:
        raise BadInput("err.same_bed", bed=bed)
    if await uow.stays.active_in_bed(ward.id, new_bed) is not None:
        raise Conflict("err.bed_occupied", bed=new_bed)
    moved = await uow.stays.update(dataclasses.replace(stay, bed=new_bed))
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "stay:move",
        f"bed {bed}",
        before={"bed": bed},
        after={"bed": new_bed},
    )
    return moved


async def set_critical(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    critical: Critical | None,
) -> Stay:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    if stay.critical == critical:
        raise Conflict("err.unchanged")
    updated = await uow.stays.update(dataclasses.replace(stay, critical=critical))
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "stay:critical",
        f"bed {bed}",
        before={"critical": stay.critical.value if stay.critical else None},
        after={"critical": critical.value if critical else None},
    )
    return updated


async def schedule_surgery(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    at: datetime,
    procedure: str,
) -> tuple[Stay, Surgery]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    procedure = check_text(procedure)
    if at < clock.now() - timedelta(hours=12):
        raise BadInput("err.time_past")
    surgery = await uow.surgeries.add(
        Surgery(
            id=0,
            stay_id=stay.id,
            scheduled_at=at,
            procedure=procedure,
            state=SurgeryState.SCHEDULED,
            updated_at=clock.now(),
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "surgery:schedule",
        f"bed {bed}",
        after={"at": at.isoformat(), "procedure": procedure},
    )
    return stay, surgery


_NEXT_STATE = {
    SurgeryState.IN_THEATRE: (SurgeryState.SCHEDULED,),
    SurgeryState.BACK: (SurgeryState.SCHEDULED, SurgeryState.IN_THEATRE),
    SurgeryState.CANCELLED: (SurgeryState.SCHEDULED,),
}


async def set_surgery_state(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    state: SurgeryState,
) -> tuple[Stay, Surgery]:
    """Advance the patient's current surgery: to theatre, back on the ward, or cancelled."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    allowed = _NEXT_STATE[state]
    candidates = [op for op in await uow.surgeries.of_stays([stay.id]) if op.state in allowed]
    if not candidates:
        raise NotFound("err.no_surgery", bed=bed)
    op = min(candidates, key=lambda o: o.scheduled_at)
    now = clock.now()
    # A patient who goes to theatre early or late is operated on now, not at the booked time.
    when = now if state is SurgeryState.IN_THEATRE else op.scheduled_at
    updated = await uow.surgeries.update(
        dataclasses.replace(op, state=state, updated_at=now, scheduled_at=when)
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        f"surgery:{state.value}",
        f"bed {bed}",
        before={"state": op.state.value},
        after={"state": state.value},
    )
    return stay, updated


async def add_item(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    kind: ItemKind,
    text: str,
    at: datetime | None = None,
) -> tuple[Stay, BoardItem]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    text = check_text(text)
    item = await uow.items.add(
        BoardItem(
            id=0,
            stay_id=stay.id,
            kind=kind,
            at=at or clock.now(),
            text=text,
            created_by=actor.user_id,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        f"item:{kind.value}",
        f"bed {bed}",
        after={"text": text, "at": item.at.isoformat()},
    )
    return stay, item


# --- reading ------------------------------------------------------------------------------


async def board_data(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    now = clock.now()
    start, end = day_bounds(now, ZoneInfo(ward.timezone))
    active, ended_since = await uow.stays.on_board(ward.id, start)
    ended = [s for s in ended_since if s.status is not StayStatus.CANCELLED]
    ids = [s.id for s in (*active, *ended)]
    surgeries = await uow.surgeries.of_stays(ids)
    items = await uow.items.of_stays_between(ids, start, end)
    return BoardData(
        ward=ward,
        now=now,
        active=tuple(active),
        ended_today=tuple(ended),
        surgeries=tuple(surgeries),
        items_today=tuple(items),
    )


async def patient_card(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> PatientCard:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    start, end = day_bounds(clock.now(), ZoneInfo(ward.timezone))
    surgeries = await uow.surgeries.of_stays([stay.id])
    items = await uow.items.of_stays_between([stay.id], start, end)
    return PatientCard(ward=ward, stay=stay, surgeries=tuple(surgeries), items=tuple(items))

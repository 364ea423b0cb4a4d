"""What nurses and head nurses do, as small services over the ports: validate, change, audit."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boards.board import BoardData, day_bounds
from boards.errors import BadInput, Conflict, Forbidden, NotFound
from boards.model import (
    Age,
    AuditEntry,
    BoardItem,
    Critical,
    Invite,
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
    UserPrefs,
    Ward,
)
from boards.parsing import MAX_NAME
from boards.ports import Clock, UnitOfWork

__all__ = [
    "INVITE_TTL",
    "Actor",
    "PatientCard",
    "acknowledge_join",
    "add_item",
    "admit",
    "bind_group",
    "board_data",
    "create_invite",
    "create_ward",
    "current_ward",
    "discharge",
    "hand_over_head",
    "member_of",
    "move_bed",
    "occupant",
    "patient_card",
    "record_audit",
    "remove_member",
    "request_join",
    "require_head",
    "require_member",
    "schedule_surgery",
    "set_critical",
    "set_locale",
    "set_surgery_state",
    "switch_ward",
    "transfer_out",
    "unbind_group",
    "ward_for_group",
]

INVITE_TTL = timedelta(hours=48)
STAY_TOKEN_BYTES = 16  # 128 random bits, 22 base64url characters


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a Telegram user id and the name the ward knows them by."""

    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class PatientCard:
    ward: Ward
    stay: Stay
    surgeries: tuple[Surgery, ...]
    items: tuple[BoardItem, ...]


def _stay_audit(stay: Stay) -> dict[str, Any]:
    return {
        "bed": stay.bed,
        "name": stay.name,
        "sex": stay.sex.value,
        "age": str(stay.age),
        "diagnosis": stay.diagnosis,
        "level": stay.level.value if stay.level else None,
        "status": stay.status.value,
        "critical": stay.critical.value if stay.critical else None,
    }


async def record_audit(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    ward_id: int | None,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await uow.audit.add(
        AuditEntry(
            ward_id=ward_id,
            actor_id=actor.user_id,
            at=clock.now(),
            action=action,
            target=target,
            before=before,
            after=after,
        )
    )


# --- wards and people -------------------------------------------------------------------


async def create_ward(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    name: str,
    timezone: str,
    locale: str,
    bed_count: int | None = None,
) -> Ward:
    name = " ".join(name.split())
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


async def member_of(uow: UnitOfWork, ward_id: int, user_id: int) -> Member | None:
    member = await uow.members.get(ward_id, user_id)
    return member if member is not None and member.approved else None


async def require_member(uow: UnitOfWork, ward_id: int, user_id: int) -> Member:
    member = await member_of(uow, ward_id, user_id)
    if member is None:
        raise Forbidden("err.not_member")
    return member


async def require_head(uow: UnitOfWork, ward_id: int, user_id: int) -> Member:
    member = await require_member(uow, ward_id, user_id)
    if not member.is_head:
        raise Forbidden("err.head_only")
    return member


async def current_ward(uow: UnitOfWork, *, user_id: int) -> tuple[Ward, Member]:
    """The ward a private-chat command acts on: the one chosen with /ward, or the only one."""
    prefs = await uow.users.get(user_id)
    if prefs is not None and prefs.current_ward_id is not None:
        member = await member_of(uow, prefs.current_ward_id, user_id)
        ward = await uow.wards.get(prefs.current_ward_id)
        if member is not None and ward is not None:
            return ward, member
    approved = [m for m in await uow.members.of_user(user_id) if m.approved]
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


async def switch_ward(uow: UnitOfWork, *, actor: Actor, name: str) -> Ward:
    wanted = " ".join(name.split())
    for member in await uow.members.of_user(actor.user_id):
        ward = await uow.wards.get(member.ward_id)
        if member.approved and ward is not None and ward.name == wanted:
            prefs = await uow.users.get(actor.user_id) or UserPrefs(actor.user_id)
            await uow.users.put(dataclasses.replace(prefs, current_ward_id=ward.id))
            return ward
    raise NotFound("err.ward_unknown", ward=wanted)


async def set_locale(uow: UnitOfWork, *, user_id: int, locale: str) -> None:
    prefs = await uow.users.get(user_id) or UserPrefs(user_id)
    await uow.users.put(dataclasses.replace(prefs, locale=locale))


async def create_invite(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward) -> Invite:
    await require_head(uow, ward.id, actor.user_id)
    now = clock.now()
    invite = await uow.invites.add(
        Invite(
            code=secrets.token_urlsafe(12),
            ward_id=ward.id,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + INVITE_TTL,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "invite:create",
        invite.code[:4] + "…",
        after={"expires_at": invite.expires_at.isoformat()},
    )
    return invite


async def request_join(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, code: str
) -> tuple[Ward, Member, list[Member]]:
    """A nurse opened an invite link: she becomes pending; returns the heads to ask."""
    invite = await uow.invites.get(code)
    now = clock.now()
    if invite is None or invite.expires_at <= now:
        raise NotFound("err.invite_invalid")
    ward = await uow.wards.get(invite.ward_id)
    if ward is None:
        raise NotFound("err.invite_invalid")
    existing = await uow.members.get(ward.id, actor.user_id)
    if existing is not None and existing.approved:
        raise Conflict("err.already_member", ward=ward.name)
    member = await uow.members.put(
        Member(ward.id, actor.user_id, actor.name, Role.NURSE, MemberStatus.PENDING, now)
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "member:request",
        str(actor.user_id),
        before={"status": existing.status.value} if existing else None,
        after={"status": "pending", "name": actor.name},
    )
    heads = [m for m in await uow.members.of_ward(ward.id) if m.is_head]
    return ward, member, heads


async def acknowledge_join(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward_id: int, user_id: int, approve: bool
) -> tuple[Ward, Member]:
    """The head nurse approves or declines a pending request."""
    await require_head(uow, ward_id, actor.user_id)
    ward = await uow.wards.get(ward_id)
    member = await uow.members.get(ward_id, user_id)
    if ward is None or member is None:
        raise NotFound("err.request_gone")
    if member.status is not MemberStatus.PENDING:
        raise Conflict("err.request_decided")
    status = MemberStatus.APPROVED if approve else MemberStatus.DECLINED
    updated = await uow.members.put(
        dataclasses.replace(member, status=status, updated_at=clock.now())
    )
    if approve:
        prefs = await uow.users.get(user_id) or UserPrefs(user_id)
        if prefs.current_ward_id is None:
            await uow.users.put(dataclasses.replace(prefs, current_ward_id=ward_id))
    await record_audit(
        uow,
        clock,
        actor,
        ward_id,
        "member:approve" if approve else "member:decline",
        str(user_id),
        before={"status": "pending"},
        after={"status": status.value},
    )
    return ward, updated


async def remove_member(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, user_id: int
) -> Member:
    await require_head(uow, ward.id, actor.user_id)
    if user_id == actor.user_id:
        raise Conflict("err.remove_self")
    member = await uow.members.get(ward.id, user_id)
    if member is None or member.status is MemberStatus.REMOVED:
        raise NotFound("err.member_unknown")
    updated = await uow.members.put(
        dataclasses.replace(
            member, status=MemberStatus.REMOVED, role=Role.NURSE, updated_at=clock.now()
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "member:remove",
        str(user_id),
        before={"status": member.status.value},
        after={"status": "removed"},
    )
    return updated


async def hand_over_head(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, user_id: int
) -> Member:
    head = await require_head(uow, ward.id, actor.user_id)
    target = await member_of(uow, ward.id, user_id)
    if target is None or user_id == actor.user_id:
        raise NotFound("err.member_unknown")
    now = clock.now()
    promoted = await uow.members.put(dataclasses.replace(target, role=Role.HEAD, updated_at=now))
    await uow.members.put(dataclasses.replace(head, role=Role.NURSE, updated_at=now))
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "member:head",
        str(user_id),
        before={"head": actor.user_id},
        after={"head": user_id},
    )
    return promoted


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


async def occupant(uow: UnitOfWork, ward: Ward, bed: str) -> Stay:
    stay = await uow.stays.active_in_bed(ward.id, bed)
    if stay is None:
        raise NotFound("err.bed_empty", bed=bed)
    return stay


def new_stay_token() -> str:
    return secrets.token_urlsafe(STAY_TOKEN_BYTES)


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
) -> Stay:
    await require_member(uow, ward.id, actor.user_id)
    if await uow.stays.active_in_bed(ward.id, bed) is not None:
        raise Conflict("err.bed_occupied", bed=bed)
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
            admitted_at=clock.now(),
            token=new_stay_token(),
        )
    )
    await record_audit(
        uow, clock, actor, ward.id, "stay:admit", f"bed {bed}", after=_stay_audit(stay)
    )
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
        before=_stay_audit(stay),
        after=_stay_audit(ended),
    )
    return ended


async def discharge(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str) -> Stay:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
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


async def transfer_out(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    target_name: str,
    target_bed: str | None = None,
) -> tuple[Stay, Stay, Ward]:
    """Move a patient to another WardBoard ward: this stay ends, a new one starts there."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    target = await uow.wards.by_name(" ".join(target_name.split()))
    if target is None:
        raise NotFound("err.ward_unknown", ward=target_name[:MAX_NAME])
    if target.id == ward.id:
        raise BadInput("err.transfer_same_ward")
    landing = target_bed or stay.bed
    if target.bed_count is not None and landing.isdigit() and int(landing) > target.bed_count:
        raise BadInput("err.bed_range", bed=landing, count=target.bed_count)
    if await uow.stays.active_in_bed(target.id, landing) is not None:
        raise Conflict("err.target_bed_occupied", bed=landing, ward=target.name)
    ended = await _end_stay(
        uow,
        clock,
        actor,
        ward,
        stay,
        StayStatus.TRANSFERRED,
        "stay:transfer_out",
        transferred_to=target.name,
    )
    arrived = await uow.stays.add(
        dataclasses.replace(
            stay,
            id=0,
            ward_id=target.id,
            bed=landing,
            admitted_at=clock.now(),
            token=new_stay_token(),
            transferred_from=ward.name,
            critical=stay.critical,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        target.id,
        "stay:transfer_in",
        f"bed {landing}",
        after=_stay_audit(arrived),
    )
    return ended, arrived, target


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
    active = await uow.stays.active(ward.id)
    ended = await uow.stays.ended_since(ward.id, start)
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

"""Who belongs to a ward: invites, join requests, approval, removal, head-nurse hand-over."""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from boards.access import Actor, member_of, record_audit, require_head, require_member
from boards.errors import BadInput, Conflict, NotFound
from boards.hospital import Hospital, require_operator
from boards.model import Invite, Member, MemberStatus, Role, UserPrefs, Ward
from boards.ports import Clock, UnitOfWork

__all__ = [
    "INVITE_TTL",
    "MAX_INVITE_USES",
    "JoinRequest",
    "acknowledge_join",
    "create_invite",
    "hand_over_head",
    "parse_invite_args",
    "remove_member",
    "request_join",
    "revoke_invites",
]

INVITE_TTL = timedelta(hours=48)
# A link for a whole intake of new nurses, not for anyone who finds it in a group chat.
MAX_INVITE_USES = 50
_REVOKE_WORDS = {"off", "revoke", "撤销", "作废", "关闭", "停用"}
_USES = re.compile(r"(\d{1,3})人?")


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A nurse's request to join: `heads` are to be asked, none when she already asked."""

    ward: Ward
    member: Member
    heads: tuple[Member, ...]

    @property
    def new(self) -> bool:
        return bool(self.heads)


def _code_label(code: str) -> str:
    # The audit names an invite without handing out a usable link.
    return code[:4] + "…"


def parse_invite_args(args: list[str]) -> int | None:
    """`/invite` → 1 use, `/invite 5` → 5 uses, `/invite off` → None (revoke the open ones)."""
    if not args:
        return 1
    if len(args) > 1:
        raise BadInput("err.extra_args")
    word = args[0].strip()
    if word.lower() in _REVOKE_WORDS:
        return None
    match = _USES.fullmatch(word)
    uses = int(match.group(1)) if match else 0
    if not 1 <= uses <= MAX_INVITE_USES:
        raise BadInput("err.invite_uses", max=MAX_INVITE_USES)
    return uses


async def create_invite(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, uses: int = 1
) -> Invite:
    """A link good for `uses` people (single-use by default) for INVITE_TTL."""
    await require_head(uow, ward.id, actor.user_id)
    if not 1 <= uses <= MAX_INVITE_USES:
        raise BadInput("err.invite_uses", max=MAX_INVITE_USES)
    now = clock.now()
    invite = await uow.invites.add(
        Invite(
            code=secrets.token_urlsafe(12),
            ward_id=ward.id,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + INVITE_TTL,
            max_uses=uses,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "invite:create",
        _code_label(invite.code),
        after={"expires_at": invite.expires_at.isoformat(), "max_uses": uses},
    )
    return invite


async def revoke_invites(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward) -> int:
    """`/invite off`: every open link of the ward stops working; how many there were."""
    await require_head(uow, ward.id, actor.user_id)
    revoked = await uow.invites.revoke_all(ward.id, at=clock.now())
    await record_audit(
        uow, clock, actor, ward.id, "invite:revoke", "all", after={"revoked": revoked}
    )
    return revoked


async def request_join(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, code: str, username: str | None = None
) -> JoinRequest:
    """A nurse opened an invite link: she becomes pending, and the heads are to be asked.

    Asking again while pending changes nothing and asks no one: a link opened five times
    is one request, one use of the invite, one message to the head nurse.
    """
    invite = await uow.invites.get(code)
    ward = None if invite is None else await uow.wards.get(invite.ward_id)
    if invite is None or ward is None:
        raise NotFound("err.invite_invalid")
    # Someone who already asked (or belongs) knows the ward: she is told where she stands,
    # even on the single-use link she used up herself.
    existing = await uow.members.get(ward.id, actor.user_id)
    if existing is not None and existing.approved:
        raise Conflict("err.already_member", ward=ward.name)
    if existing is not None and existing.status is MemberStatus.PENDING:
        return JoinRequest(ward, existing, ())
    now = clock.now()
    # Used up, revoked or expired links answer like forged ones: nothing about the ward.
    if not invite.usable(now):
        raise NotFound("err.invite_invalid")
    used = await uow.invites.use(code)
    if used is None:
        # Someone else took the last use between the read and now.
        raise NotFound("err.invite_invalid")
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "invite:use",
        _code_label(code),
        after={"uses": used.uses, "max_uses": used.max_uses},
    )
    member = await uow.members.put(
        Member(
            ward.id,
            actor.user_id,
            actor.name,
            Role.NURSE,
            MemberStatus.PENDING,
            now,
            username=username[:64] if username else None,
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "member:request",
        str(actor.user_id),
        before={"status": existing.status.value} if existing else None,
        after={"status": "pending", "name": actor.name, "username": member.username},
    )
    heads = tuple(m for m in await uow.members.of_ward(ward.id) if m.is_head)
    return JoinRequest(ward, member, heads)


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
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    hospital: Hospital,
    ward: Ward,
    user_id: int,
) -> Member:
    """Name a member head nurse. In an open hospital (no operators) the head hands over;
    once there are operators only they name heads, and a head who does so steps down."""
    if hospital.open:
        head: Member | None = await require_head(uow, ward.id, actor.user_id)
    else:
        require_operator(hospital, actor.user_id)
        await require_member(uow, ward.id, actor.user_id)
        mine = await uow.members.get(ward.id, actor.user_id)
        head = mine if mine is not None and mine.is_head else None
    target = await member_of(uow, ward.id, user_id)
    if target is None or user_id == actor.user_id:
        raise NotFound("err.member_unknown")
    now = clock.now()
    promoted = await uow.members.put(dataclasses.replace(target, role=Role.HEAD, updated_at=now))
    if head is not None:
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

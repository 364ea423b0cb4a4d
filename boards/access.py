"""Who may act on a ward and on which bed, and the audit trail every change leaves."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from boards.errors import Forbidden, NotFound
from boards.model import AuditEntry, Member, Stay, Ward
from boards.ports import Clock, UnitOfWork
from boards.text import clean_text

__all__ = [
    "STAY_TOKEN_BYTES",
    "Actor",
    "actor_of_user",
    "member_of",
    "new_stay_token",
    "occupant",
    "record_audit",
    "require_head",
    "require_member",
    "stay_audit",
]

STAY_TOKEN_BYTES = 16  # 128 random bits, 22 base64url characters


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a Telegram user id and the name the ward knows them by."""

    user_id: int
    name: str


def actor_of_user(user_id: int, full_name: str) -> Actor:
    """A Telegram user as the ward will know them: the name they chose, cleaned like every
    text (no right-to-left override or zero-width letters to pass for someone else), cut to
    60 characters; their id when nothing visible is left."""
    return Actor(user_id, clean_text(full_name)[:60] or str(user_id))


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


async def occupant(uow: UnitOfWork, ward: Ward, bed: str) -> Stay:
    stay = await uow.stays.active_in_bed(ward.id, bed)
    if stay is None:
        raise NotFound("err.bed_empty", bed=bed)
    return stay


def new_stay_token() -> str:
    return secrets.token_urlsafe(STAY_TOKEN_BYTES)


def stay_audit(stay: Stay) -> dict[str, Any]:
    return {
        "bed": stay.bed,
        "name": stay.name,
        "sex": stay.sex.value,
        "age": str(stay.age),
        "diagnosis": stay.diagnosis,
        "level": stay.level.value if stay.level else None,
        "status": stay.status.value,
        "critical": stay.critical.value if stay.critical else None,
        "admission_no": stay.admission_no,
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

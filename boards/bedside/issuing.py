"""Bedside signs issued (marked printed, token rotated) and opened by the token their QR holds."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from boards.access import (
    Actor,
    member_of,
    new_stay_token,
    occupant,
    record_audit,
    require_member,
)
from boards.bedside.catalogue import ward_catalogue
from boards.bedside.view import assemble
from boards.errors import NotFound
from boards.model import SignPrint, Stay, Ward
from boards.ports import Clock, UnitOfWork

__all__ = ["issue_sign", "issue_signs", "open_sign", "scan_sign", "stay_by_token"]


async def issue_signs(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    beds: Sequence[str] | None = None,
    new_token: bool = False,
) -> list[Stay]:
    """Mark the signs of these beds (all occupied beds when None) as printed now.

    With `new_token` each stay gets a new QR token first, so a sign printed before (lost,
    photographed, left on a trolley) stops opening the card. Returns the stays as they
    now are: build the signs from these, after this call, in the same transaction.
    """
    await require_member(uow, ward.id, actor.user_id)
    if beds is None:
        stays = await uow.stays.active(ward.id)
    else:
        stays = [await occupant(uow, ward, bed) for bed in dict.fromkeys(beds)]
    if new_token:
        stays = [
            await uow.stays.update(dataclasses.replace(s, token=new_stay_token())) for s in stays
        ]
    ids = [s.id for s in stays]
    now = clock.now()
    view = assemble(
        ward,
        stays,
        await ward_catalogue(uow, ward),
        await uow.tags.present(ids),
        await uow.lines.of_stays(ids),
        (),
        now,
    )
    for stay in stays:
        await uow.signs.put(SignPrint(stay.id, now, actor.user_id, view[stay.id].fingerprint))
        # Never the token itself: the audit log is read by people who must not open cards.
        await record_audit(
            uow,
            clock,
            actor,
            ward.id,
            "sign:print",
            f"bed {stay.bed}",
            after={"new_token": new_token},
        )
    return stays


async def issue_sign(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    new_token: bool = False,
) -> Stay:
    """Mark the sign of one bed printed now (see `issue_signs`)."""
    (stay,) = await issue_signs(
        uow, clock, actor=actor, ward=ward, beds=[bed], new_token=new_token
    )
    return stay


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def stay_by_token(uow: UnitOfWork, *, token: str) -> Stay | None:
    """The active stay a scanned sign points to; None for unknown, revoked or ended."""
    if not _TOKEN.fullmatch(token):
        return None
    stay = await uow.stays.by_token(token)
    return stay if stay is not None and stay.active else None


async def open_sign(uow: UnitOfWork, *, actor: Actor, token: str) -> tuple[Ward, Stay]:
    """A scanned sign, for a member of the patient's ward. Everyone else, and every dead
    link, gets the same refusal: it must not tell whether the link was ever good."""
    stay = await stay_by_token(uow, token=token)
    ward = await uow.wards.get(stay.ward_id) if stay is not None else None
    if stay is None or ward is None or await member_of(uow, ward.id, actor.user_id) is None:
        raise NotFound("err.link_invalid")
    return ward, stay


async def scan_sign(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, token: str
) -> tuple[Ward, Stay] | None:
    """A scanned sign opened (`open_sign`): the ward and stay for a member of the patient's
    ward, None for everyone else and every dead link. Both are audited: the head nurse of
    the patient's ward sees who scanned a sign they may not open. Only that entry is
    written, so the caller commits either way."""
    try:
        ward, stay = await open_sign(uow, actor=actor, token=token)
    except NotFound:
        found = await stay_by_token(uow, token=token)
        await record_audit(
            uow,
            clock,
            actor,
            found.ward_id if found is not None else None,
            "sign:scan_refused",
            f"bed {found.bed}" if found is not None else "link",
        )
        return None
    await record_audit(uow, clock, actor, ward.id, "sign:scan", f"bed {stay.bed}")
    return ward, stay

"""Warning tags on patients: put up, changed and taken off, every change audited."""

from __future__ import annotations

import dataclasses
from typing import Any

from boards.access import Actor, occupant, record_audit, require_member
from boards.bedside._common import joined, tag_name
from boards.bedside.catalogue import Catalogue, one_kind, ward_catalogue
from boards.errors import BadInput, Conflict, NotFound
from boards.model import PatientTag, Stay, Ward
from boards.ports import Clock, UnitOfWork
from boards.tags import tag_candidates
from boards.text import clean_field, excerpt

__all__ = ["MAX_DETAIL", "tag_patient", "untag_patient"]

MAX_DETAIL = 100


def _tag_audit(tag: PatientTag) -> dict[str, Any]:
    return {"tag": tag.code, "detail": tag.detail}


async def tag_patient(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    word: str,
    detail: str | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[Stay, PatientTag]:
    """Put a warning tag on the patient in `bed`, or change the detail of one already up.

    The word is looked up among the ward's enabled kinds. Kinds that take a detail
    (allergy: the allergens; fasting: since when) refuse to go up without one.
    `catalogue`: the ward's (`ward_catalogue`), if read already in this unit of work.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    if catalogue is None:
        catalogue = await ward_catalogue(uow, ward)
    if not tag_candidates(word, catalogue.enabled) and tag_candidates(word, catalogue.every):
        raise BadInput("err.tag_disabled", tag=excerpt(word))
    kind = one_kind(word, catalogue.enabled, ward.locale)
    text = clean_field(detail, limit=MAX_DETAIL)
    if kind.has_detail and text is None:
        raise BadInput("err.tag_detail_needed", tag=tag_name(kind, ward.locale))
    existing = next((t for t in await uow.tags.present([stay.id]) if t.code == kind.code), None)
    if existing is not None:
        if existing.detail == text:
            raise Conflict("err.unchanged")
        updated = await uow.tags.update(dataclasses.replace(existing, detail=text))
        await record_audit(
            uow,
            clock,
            actor,
            ward.id,
            "tag:update",
            f"bed {bed}",
            before=_tag_audit(existing),
            after=_tag_audit(updated),
        )
        return stay, updated
    tag = await uow.tags.add(
        PatientTag(
            id=0,
            stay_id=stay.id,
            code=kind.code,
            detail=text,
            added_at=clock.now(),
            added_by=actor.user_id,
        )
    )
    await record_audit(uow, clock, actor, ward.id, "tag:add", f"bed {bed}", after=_tag_audit(tag))
    return stay, tag


async def untag_patient(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    word: str,
    catalogue: Catalogue | None = None,
) -> tuple[Stay, PatientTag]:
    """Take a warning tag off: its row stays, marked removed.

    A word naming several kinds is fine when only one of them is up ("隔离" with only
    contact isolation on the patient). `catalogue`: the ward's, if read already.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    if catalogue is None:
        catalogue = await ward_catalogue(uow, ward)
    named = tag_candidates(word, catalogue.every)
    if not named:
        raise BadInput("err.tag_unknown", word=excerpt(word))
    codes = {k.code for k in named}
    up = [t for t in await uow.tags.present([stay.id]) if t.code in codes]
    if not up:
        raise NotFound("err.tag_absent", bed=bed, tag=excerpt(word))
    if len(up) > 1:
        by_code = catalogue.by_code()
        raise BadInput(
            "err.tag_ambiguous",
            word=excerpt(word),
            options=joined((tag_name(by_code[t.code], ward.locale) for t in up), ward.locale),
        )
    removed = await uow.tags.update(
        dataclasses.replace(up[0], removed_at=clock.now(), removed_by=actor.user_id)
    )
    await record_audit(
        uow, clock, actor, ward.id, "tag:remove", f"bed {bed}", before=_tag_audit(up[0])
    )
    return stay, removed

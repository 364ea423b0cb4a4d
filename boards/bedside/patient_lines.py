"""Lines on patients: recorded in place and taken out, numbered for the card once and for good."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from boards.access import Actor, occupant, record_audit, require_member
from boards.bedside._common import joined
from boards.errors import BadInput, NotFound
from boards.lines import DEFAULT_LINES, resolve_line
from boards.model import PatientLine, Stay, Ward
from boards.parsing import MAX_NAME
from boards.ports import Clock, UnitOfWork
from boards.text import clean_field, clean_text, excerpt

__all__ = ["CLOCK_SKEW", "MAX_PURPOSE", "MAX_SITE", "add_line", "numbered_lines", "remove_line"]

MAX_SITE = MAX_NAME
MAX_PURPOSE = 100
# Phones and servers disagree by a little: an insertion "now" on a phone a minute fast is
# not in the future.
CLOCK_SKEW = timedelta(minutes=5)


def _line_audit(line: PatientLine) -> dict[str, Any]:
    return {
        "line": line.code,
        "site": line.site,
        "inserted_at": line.inserted_at.isoformat(),
        "purpose": line.purpose,
    }


async def add_line(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    word: str,
    site: str | None = None,
    inserted_at: datetime | None = None,
    purpose: str | None = None,
) -> tuple[Stay, PatientLine]:
    """Record a line in place. It may predate the admission (ED, theatre); not the present."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    kind = resolve_line(word, DEFAULT_LINES)
    if kind is None:
        raise BadInput("err.line_unknown", word=excerpt(word))
    now = clock.now()
    when = now if inserted_at is None else inserted_at
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("inserted_at must be timezone-aware")
    if when > now + CLOCK_SKEW:
        raise BadInput("err.inserted_future")
    line = await uow.lines.add(
        PatientLine(
            id=0,
            stay_id=stay.id,
            code=kind.code,
            site=clean_field(site, limit=MAX_SITE),
            inserted_at=when.astimezone(UTC),
            purpose=clean_field(purpose, limit=MAX_PURPOSE),
            added_by=actor.user_id,
        )
    )
    await record_audit(
        uow, clock, actor, ward.id, "line:add", f"bed {bed}", after=_line_audit(line)
    )
    return stay, line


def numbered_lines(lines: Sequence[PatientLine]) -> list[tuple[int, PatientLine]]:
    """Card numbers: 1, 2, 3... in the order lines were recorded for the stay, removed ones
    included, so a number never moves to another line while a nurse is reading it."""
    ordered = sorted(lines, key=lambda ln: ln.id)
    return [(n, ln) for n, ln in enumerate(ordered, start=1)]


_NUMBER = re.compile(r"#?(\d{1,4})号?")


async def remove_line(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str, word_or_number: str
) -> tuple[Stay, PatientLine]:
    """Record that a line came out, named by type ("尿管") or by its number on the card.

    A type with several lines in place is refused with their numbers, never guessed.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    numbered = numbered_lines(await uow.lines.of_stays([stay.id]))
    present = [(n, ln) for n, ln in numbered if ln.present]
    text = clean_text(word_or_number)
    number = _NUMBER.fullmatch(text)
    if number is not None:
        wanted = int(number.group(1))
        chosen = [(n, ln) for n, ln in present if n == wanted]
        if not chosen:
            raise NotFound("err.line_number", bed=bed, number=wanted)
    else:
        kind = resolve_line(text, DEFAULT_LINES)
        if kind is None:
            raise BadInput("err.line_unknown", word=excerpt(text))
        chosen = [(n, ln) for n, ln in present if ln.code == kind.code]
        if not chosen:
            raise NotFound("err.line_absent", bed=bed, line=excerpt(text))
        if len(chosen) > 1:
            raise BadInput(
                "err.line_which",
                bed=bed,
                line=excerpt(text),
                options=joined(
                    (f"{n}（{ln.site}）" if ln.site else str(n) for n, ln in chosen), ward.locale
                ),
            )
    line = chosen[0][1]
    removed = await uow.lines.update(
        dataclasses.replace(line, removed_at=clock.now(), removed_by=actor.user_id)
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "line:remove",
        f"bed {bed}",
        before=_line_audit(line),
        after={"removed_at": removed.removed_at.isoformat() if removed.removed_at else None},
    )
    return stay, removed

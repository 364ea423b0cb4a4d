"""What the board and the card show of each bed: present tags, numbered lines, the sign's state."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from boards.bedside._common import CUSTOM_DEFAULT_COLOUR
from boards.bedside.catalogue import Catalogue, ward_catalogue
from boards.bedside.patient_lines import numbered_lines
from boards.board_data import BedsideInfo, BedsideLine, BedsideTag, BoardData, SignStatus
from boards.lines import DEFAULT_LINES, LineKind, due_at, dwell_days, is_overdue
from boards.masking import mask_name
from boards.memo import patient_text_cache
from boards.model import PatientLine, PatientTag, SignPrint, Stay, Ward
from boards.ports import Clock, UnitOfWork
from boards.services import board_data
from boards.tags import TagKind

__all__ = [
    "assemble",
    "bedside_view",
    "board_with_bedside",
]


def _fallback_tag(code: str) -> TagKind:
    # A tag whose kind left the catalogue (a code renamed in a release) still shows.
    return TagKind(code, code, code, CUSTOM_DEFAULT_COLOUR, code, code)


def _line_kind(code: str) -> LineKind:
    for kind in DEFAULT_LINES:
        if kind.code == code:
            return kind
    return LineKind(code, code, code, code.upper(), None, "other")


def _fingerprint(
    ward: Ward, stay: Stay, tags: Sequence[BedsideTag], lines: Sequence[BedsideLine]
) -> str:
    """A digest of everything the printed sign shows, in no particular language.

    Derived, not counted: a bed move, a level change or a name correction made by any
    service changes it, with nothing to remember to bump; and undoing a change (a tag off
    and on again) makes the sign current again. The masked name is what the sign shows,
    so correcting 张三 to 张山 needs no reprint. The token is included: a rotated token
    means the printed QR no longer opens the card. Changing what goes in here marks every
    printed sign outdated once, so add to it deliberately (tests/boards pins the digest).
    """
    tz = ZoneInfo(ward.timezone)
    return _digest(
        ward.name,
        stay.bed,
        mask_name(stay.name),
        stay.sex.value,
        str(stay.age),
        stay.level.value if stay.level is not None else None,
        stay.token,
        tuple(
            sorted(
                (t.kind.code, t.tag.detail or "", t.kind.colour, t.kind.badge_zh, t.kind.badge_en)
                for t in tags
            )
        ),
        tuple(
            sorted(
                (
                    ln.kind.code,
                    ln.line.site or "",
                    ln.line.inserted_at.astimezone(tz).date().isoformat(),
                    ln.line.purpose or "",
                )
                for ln in lines
            )
        ),
    )


@patient_text_cache(maxsize=4096)
def _digest(
    ward: str,
    bed: str,
    name: str,
    sex: str,
    age: str,
    level: str | None,
    token: str,
    tags: tuple[tuple[str, ...], ...],
    lines: tuple[tuple[str, ...], ...],
) -> str:
    # Of what the sign shows, so a pure function: kept for beds that did not change since
    # the last board (a board computes one per bed, each a JSON text and a SHA-256).
    shown = {
        "v": 1,
        "ward": ward,
        "bed": bed,
        "name": name,
        "sex": sex,
        "age": age,
        "level": level,
        "token": token,
        "tags": [list(t) for t in tags],
        "lines": [list(ln) for ln in lines],
    }
    blob = json.dumps(shown, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def assemble(
    ward: Ward,
    stays: Sequence[Stay],
    catalogue: Catalogue,
    tags: Sequence[PatientTag],
    lines: Sequence[PatientLine],
    prints: Sequence[SignPrint],
    now: datetime,
) -> dict[int, BedsideInfo]:
    tz = ZoneInfo(ward.timezone)
    kinds = catalogue.by_code()
    order = {k.code: i for i, k in enumerate(catalogue.every)}
    tags_of: dict[int, list[BedsideTag]] = {}
    for tag in tags:
        if tag.present:
            kind = kinds.get(tag.code) or _fallback_tag(tag.code)
            tags_of.setdefault(tag.stay_id, []).append(BedsideTag(kind, tag))
    lines_of: dict[int, list[PatientLine]] = {}
    for line in lines:
        lines_of.setdefault(line.stay_id, []).append(line)
    printed = {p.stay_id: p for p in prints}
    view: dict[int, BedsideInfo] = {}
    for stay in stays:
        shown_tags = sorted(
            tags_of.get(stay.id, ()), key=lambda t: (order.get(t.kind.code, len(order)), t.tag.id)
        )
        shown_lines = []
        for number, line in numbered_lines(lines_of.get(stay.id, ())):
            if not line.present:
                continue
            line_kind = _line_kind(line.code)
            # A line entered a few minutes "ahead" (clock skew) is on day 1, not an error.
            start = min(line.inserted_at, now)
            shown_lines.append(
                BedsideLine(
                    number=number,
                    kind=line_kind,
                    line=line,
                    dwell_day=dwell_days(start, now, tz),
                    overdue=is_overdue(line.inserted_at, now, line_kind.max_dwell_days),
                    due_at=due_at(line.inserted_at, line_kind.max_dwell_days),
                )
            )
        fingerprint = _fingerprint(ward, stay, shown_tags, shown_lines)
        last = printed.get(stay.id)
        if last is None:
            status = SignStatus.MISSING
        elif last.fingerprint == fingerprint:
            status = SignStatus.CURRENT
        else:
            status = SignStatus.OUTDATED
        view[stay.id] = BedsideInfo(
            stay_id=stay.id,
            tags=tuple(shown_tags),
            lines=tuple(shown_lines),
            sign=status,
            printed_at=last.printed_at if last is not None else None,
            fingerprint=fingerprint,
        )
    return view


async def bedside_view(
    uow: UnitOfWork, clock: Clock, *, ward: Ward, stays: Sequence[Stay]
) -> dict[int, BedsideInfo]:
    """Tags, lines and sign state of these stays of `ward`, keyed by stay id, for the board
    and the card: one query per table whatever the number of stays."""
    ids = [s.id for s in stays]
    catalogue = await ward_catalogue(uow, ward)
    tags = await uow.tags.present(ids)
    lines = await uow.lines.of_stays(ids)
    prints = await uow.signs.of_stays(ids)
    return assemble(ward, stays, catalogue, tags, lines, prints, clock.now())


async def board_with_bedside(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    """The whole board: today's lists plus every bed's tags, lines and sign state."""
    data = await board_data(uow, clock, ward=ward)
    view = await bedside_view(uow, clock, ward=ward, stays=data.active)
    return dataclasses.replace(data, bedside=view)

"""Line (导管) catalogue, name lookup, and dwell-time arithmetic in the ward's timezone."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from boards.tags import normalise_key

__all__ = [
    "DEFAULT_LINES",
    "LINE_CODES",
    "LineKind",
    "RouteGroup",
    "due_at",
    "due_date",
    "dwell_days",
    "is_overdue",
    "line_candidates",
    "resolve_line",
]

RouteGroup = Literal["iv", "other"]


@dataclass(frozen=True, slots=True)
class LineKind:
    """One kind of line, tube or drain.

    `max_dwell_days` is a commonly cited default, None where practice sets no fixed limit
    (replaced when indicated, or per the product's instructions); ward policy may
    override it. `route_group` "iv" marks vascular access, whose labels read 静脉.
    """

    code: str
    name_zh: str
    name_en: str
    abbr: str
    max_dwell_days: int | None
    route_group: RouteGroup
    aliases: tuple[str, ...] = ()


# Defaults (override per ward policy):
# - peripheral cannula 4 days (96 h): WS/T 433-2013 says 72-96 h.
# - PICC 365 days: the usual maximum manufacturers and Chinese practice cite.
# - CVC 28 days: practice commonly cites 2-4 weeks; the upper end, as no guideline
#   mandates routine replacement and reminders come earlier by policy if a ward wants.
# - nasogastric tube 30 days: silicone / polyurethane tubes (the common kind now);
#   a ward using PVC tubes should set 7.
# - ports, urinary catheters, drains, airways: no fixed dwell time (assessed daily,
#   or per product), so None.
DEFAULT_LINES: tuple[LineKind, ...] = (
    LineKind(
        code="piv",
        name_zh="外周静脉留置针",
        name_en="Peripheral IV cannula",
        abbr="PIVC",
        max_dwell_days=4,
        route_group="iv",
        aliases=(
            "留置针",
            "静脉留置针",
            "外周留置针",
            "套管针",
            "周邊靜脈留置針",
            "留置針",
            "piv",
            "iv cannula",
            "cannula",
            "venflon",
        ),
    ),
    LineKind(
        code="picc",
        name_zh="PICC",
        name_en="PICC",
        abbr="PICC",
        max_dwell_days=365,
        route_group="iv",
        aliases=("经外周置入中心静脉导管", "picc line"),
    ),
    LineKind(
        code="cvc",
        name_zh="中心静脉导管",
        name_en="Central venous catheter",
        abbr="CVC",
        max_dwell_days=28,
        route_group="iv",
        aliases=("中心静脉", "深静脉置管", "深静脉导管", "中心靜脈導管", "central line", "cvl"),
    ),
    LineKind(
        code="port",
        name_zh="输液港",
        name_en="Implanted port",
        abbr="PORT",
        max_dwell_days=None,
        route_group="iv",
        aliases=(
            "植入式输液港",
            "人工血管",
            "port-a",
            "port a cath",
            "portacath",
            "ivap",
            "tivap",
        ),
    ),
    LineKind(
        code="urinary",
        name_zh="导尿管",
        name_en="Urinary catheter",
        abbr="IUC",
        max_dwell_days=None,
        route_group="other",
        aliases=("尿管", "留置尿管", "導尿管", "foley", "idc", "uc"),
    ),
    LineKind(
        code="ngt",
        name_zh="胃管",
        name_en="Nasogastric tube",
        abbr="NGT",
        max_dwell_days=30,
        route_group="other",
        aliases=("鼻胃管", "ng", "ng tube", "nasogastric"),
    ),
    LineKind(
        code="drain",
        name_zh="引流管",
        name_en="Surgical drain",
        abbr="DRAIN",
        max_dwell_days=None,
        route_group="other",
        aliases=("引流", "伤口引流管", "腹腔引流管", "drain", "wound drain"),
    ),
    LineKind(
        code="chest_drain",
        name_zh="胸腔闭式引流管",
        name_en="Chest drain",
        abbr="ICD",
        max_dwell_days=None,
        route_group="other",
        aliases=("胸腔闭式引流", "胸腔引流管", "胸管", "胸引管", "chest tube", "icc"),
    ),
    LineKind(
        code="ett",
        name_zh="气管插管",
        name_en="Endotracheal tube",
        abbr="ETT",
        max_dwell_days=None,
        route_group="other",
        aliases=("插管", "氣管內管", "气管内插管", "endotracheal", "et tube"),
    ),
    LineKind(
        code="trach",
        name_zh="气管切开套管",
        name_en="Tracheostomy tube",
        abbr="TRACH",
        max_dwell_days=None,
        route_group="other",
        aliases=("气切", "气管切开", "气切套管", "氣切管", "tracheostomy", "trachy"),
    ),
)

# The one list of line codes: stored on every PatientLine, and what a ward's line-care
# rules (boards.schedule) are keyed by.
LINE_CODES: tuple[str, ...] = tuple(k.code for k in DEFAULT_LINES)


def line_candidates(text: str, kinds: Sequence[LineKind]) -> tuple[LineKind, ...]:
    """Every kind that `text` names exactly (code, names, abbreviation or alias)."""
    key = normalise_key(text)
    if not key:
        return ()
    return tuple(k for k in kinds if key in _line_keys(k))


@functools.lru_cache(maxsize=256)
def _line_keys(kind: LineKind) -> frozenset[str]:
    """The lookup keys of a kind's names, made once (as `boards.tags._keys`): a catalogue's
    words, no patient's."""
    return frozenset(
        normalise_key(n) for n in (kind.code, kind.name_zh, kind.name_en, kind.abbr, *kind.aliases)
    )


def resolve_line(text: str, kinds: Sequence[LineKind]) -> LineKind | None:
    """The one kind `text` names ("留置针", "PICC", "picc", "尿管"...), else None.

    Latin is matched case-insensitively; text naming several kinds gives None.
    """
    found = line_candidates(text, kinds)
    return found[0] if len(found) == 1 else None


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def dwell_days(inserted_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    """The line's day number "留置第N天": calendar days in the ward's timezone, the day of
    insertion being day 1 (the way wards label it, and the NHSN device-day count).

    A line put in at 23:50 is on day 2 ten minutes later. Raises ValueError for naive
    datetimes or when `now` falls on a calendar day before the insertion day (a few
    seconds of clock skew on the same day still give day 1).
    """
    _require_aware("inserted_at", inserted_at)
    _require_aware("now", now)
    start = inserted_at.astimezone(tz).date()
    today = now.astimezone(tz).date()
    if today < start:
        raise ValueError("now is before the insertion day")
    return (today - start).days + 1


def due_at(inserted_at: datetime, max_dwell_days: int | None) -> datetime | None:
    """When the dwell limit is reached: exactly `max_dwell_days` × 24 h after insertion
    (96 h for a peripheral cannula), or None when there is no limit."""
    _require_aware("inserted_at", inserted_at)
    if max_dwell_days is None:
        return None
    if max_dwell_days <= 0:
        raise ValueError("max_dwell_days must be positive")
    return inserted_at + timedelta(days=max_dwell_days)


def due_date(inserted: date, max_dwell_days: int | None) -> date | None:
    """The calendar date the limit falls on when only the insertion date is known
    (labels: "至11月24日" for a 4-day cannula put in on 11月20日)."""
    if max_dwell_days is None:
        return None
    if max_dwell_days <= 0:
        raise ValueError("max_dwell_days must be positive")
    return inserted + timedelta(days=max_dwell_days)


def is_overdue(inserted_at: datetime, now: datetime, max_dwell_days: int | None) -> bool:
    """True once the dwell limit has been reached (elapsed time, not calendar days, so a
    96 h cannula is overdue at hour 96 whatever time of day it went in)."""
    _require_aware("now", now)
    limit = due_at(inserted_at, max_dwell_days)
    return limit is not None and now >= limit

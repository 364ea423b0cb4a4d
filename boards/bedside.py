"""Bedside warning tags, lines and QR signs: ward tag catalogues, services, views, sign data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import (
    Actor,
    member_of,
    new_stay_token,
    occupant,
    record_audit,
    require_head,
    require_member,
)
from boards.board_data import (
    ALLERGY_TAG,
    BedsideInfo,
    BedsideLine,
    BedsideTag,
    BoardData,
    SignStatus,
)
from boards.errors import BadInput, Conflict, NotFound
from boards.i18n import texts
from boards.lines import (
    DEFAULT_LINES,
    LineKind,
    due_at,
    dwell_days,
    is_overdue,
    line_candidates,
    resolve_line,
)
from boards.masking import mask_name
from boards.model import (
    NursingLevel,
    PatientLine,
    PatientTag,
    SignPrint,
    Stay,
    Ward,
    WardTagSetting,
)
from boards.parsing import MAX_NAME, parse_clock
from boards.ports import Clock, UnitOfWork
from boards.services import board_data
from boards.signs import SIGN_WORDS_EN, SIGN_WORDS_ZH, BedSign, SignLine, SignTag, SignWords
from boards.tags import DEFAULT_TAGS, TagKind, normalise_key, tag_candidates
from boards.text import clean_text, excerpt

__all__ = [
    "CLOCK_SKEW",
    "LEVEL_COLOURS",
    "MAX_DETAIL",
    "MAX_PURPOSE",
    "MAX_SITE",
    "add_custom_tag",
    "add_line",
    "bedside_view",
    "board_with_bedside",
    "build_bed_sign",
    "disable_tag",
    "enable_tag",
    "issue_sign",
    "issue_signs",
    "open_sign",
    "parse_line_args",
    "parse_tag_args",
    "remove_line",
    "sign_words",
    "stay_by_token",
    "tag_patient",
    "untag_patient",
    "ward_tag_kinds",
]

MAX_DETAIL = 100
MAX_SITE = MAX_NAME
MAX_PURPOSE = 100
MAX_TAG_NAME = 16  # a badge on an A6 sign holds about this many characters
MAX_TAG_NAME_EN = 32
# Phones and servers disagree by a little: an insertion "now" on a phone a minute fast is
# not in the future.
CLOCK_SKEW = timedelta(minutes=5)

# Nursing-level colours as most mainland Chinese wards paint them (分级护理标识): 特级 red,
# 一级 pink, 二级 blue, 三级 green (or no mark). Hospitals differ, so callers may pass their
# ward's own; the band always carries its text, so colour is never the only signal.
LEVEL_COLOURS: Mapping[NursingLevel, str] = {
    NursingLevel.SPECIAL: "#D32F2F",
    NursingLevel.ONE: "#F06292",
    NursingLevel.TWO: "#1E88E5",
    NursingLevel.THREE: "#43A047",
}
_NO_LEVEL_COLOUR = "#FFFFFF"
_CUSTOM_DEFAULT_COLOUR = "#616161"


# --- small helpers -------------------------------------------------------------------------


def _clean(text: str | None, *, limit: int) -> str | None:
    """Cleaned (boards.text); None for nothing; BadInput past `limit` characters.

    No NFKC: compatibility forms carry meaning in clinical text (10⁹/L, ①②, m²); names
    are looked up through normalise_key, which folds them.
    """
    if text is None:
        return None
    clean = clean_text(text, nfkc=False)
    if not clean:
        return None
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


def _shown(word: str) -> str:
    # Echoed words go into replies: short, cleaned, and never a whole pasted paragraph.
    return excerpt(word, 16)


def _is_zh(locale: str) -> bool:
    return not locale.startswith("en")


def _tag_name(kind: TagKind, locale: str) -> str:
    return kind.name_zh if _is_zh(locale) else kind.name_en


def _line_name(kind: LineKind, locale: str) -> str:
    return kind.name_zh if _is_zh(locale) else kind.name_en


def _options(names: Iterable[str], locale: str) -> str:
    return ("、" if _is_zh(locale) else ", ").join(names)


# --- the ward's tag catalogue --------------------------------------------------------------


def _custom_kind(setting: WardTagSetting) -> TagKind:
    name_zh = setting.name_zh or setting.code
    name_en = setting.name_en or name_zh
    return TagKind(
        code=setting.code,
        name_zh=name_zh,
        name_en=name_en,
        colour=setting.colour or _CUSTOM_DEFAULT_COLOUR,
        badge_zh=setting.badge_zh or name_zh,
        badge_en=setting.badge_en or name_en,
        has_detail=setting.has_detail,
    )


@dataclass(frozen=True, slots=True)
class _Catalogue:
    enabled: tuple[TagKind, ...]
    every: tuple[TagKind, ...]  # disabled ones too: tags already up stay readable

    def by_code(self) -> dict[str, TagKind]:
        return {k.code: k for k in self.every}


def _catalogue(settings: Sequence[WardTagSetting]) -> _Catalogue:
    off = {s.code for s in settings if not s.enabled}
    custom = [_custom_kind(s) for s in settings if s.custom]
    every = (*DEFAULT_TAGS, *custom)
    return _Catalogue(tuple(k for k in every if k.code not in off), every)


async def _ward_catalogue(uow: UnitOfWork, ward: Ward) -> _Catalogue:
    return _catalogue(await uow.ward_tags.of_ward(ward.id))


async def ward_tag_kinds(uow: UnitOfWork, *, ward: Ward) -> tuple[TagKind, ...]:
    """The kinds nurses of this ward can tag with: the defaults the ward has not switched
    off, then the ward's own, in that order (the order badges print in)."""
    return (await _ward_catalogue(uow, ward)).enabled


def _one_kind(word: str, kinds: Sequence[TagKind], locale: str) -> TagKind:
    found = tag_candidates(word, kinds)
    if not found:
        raise BadInput("err.tag_unknown", word=_shown(word))
    if len(found) > 1:
        raise BadInput(
            "err.tag_ambiguous",
            word=_shown(word),
            options=_options((_tag_name(k, locale) for k in found), locale),
        )
    return found[0]


async def _set_enabled(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, word: str, enabled: bool
) -> TagKind:
    await require_head(uow, ward.id, actor.user_id)
    settings = await uow.ward_tags.of_ward(ward.id)
    kind = _one_kind(word, _catalogue(settings).every, ward.locale)
    current = next((s for s in settings if s.code == kind.code), None)
    if (current.enabled if current is not None else True) == enabled:
        raise Conflict("err.unchanged")
    setting = (
        dataclasses.replace(current, enabled=enabled)
        if current is not None
        else WardTagSetting(ward.id, kind.code, enabled, clock.now())
    )
    await uow.ward_tags.put(setting)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward_tag:enable" if enabled else "ward_tag:disable",
        kind.code,
        before={"enabled": not enabled},
        after={"enabled": enabled},
    )
    return kind


async def enable_tag(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, word: str
) -> TagKind:
    """The head nurse switches a tag kind (default or the ward's own) back on."""
    return await _set_enabled(uow, clock, actor=actor, ward=ward, word=word, enabled=True)


async def disable_tag(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, word: str
) -> TagKind:
    """The head nurse switches a tag kind off for the ward.

    Nurses can no longer add it; tags of that kind already up stay on the card and the
    sign until removed: silently hiding a warning from a patient is the worse mistake.
    """
    return await _set_enabled(uow, clock, actor=actor, ward=ward, word=word, enabled=False)


_CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")
_HEX = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
# Colour words a head nurse types instead of hex: mid-tone shades that print legibly.
_COLOUR_WORDS = {
    word: colour
    for colour, words in (
        ("#D32F2F", ("红", "红色", "red")),
        ("#EF6C00", ("橙", "橙色", "orange")),
        ("#FDD835", ("黄", "黄色", "yellow")),
        ("#2E7D32", ("绿", "绿色", "green")),
        ("#1565C0", ("蓝", "蓝色", "blue")),
        ("#6A1B9A", ("紫", "紫色", "purple")),
        ("#F48FB1", ("粉", "粉色", "粉红", "pink")),
        ("#795548", ("棕", "棕色", "brown")),
        ("#616161", ("灰", "灰色", "grey", "gray")),
        ("#212121", ("黑", "黑色", "black")),
    )
    for word in words
}


def _colour(text: str) -> str:
    raw = clean_text(text).lower()
    if raw in _COLOUR_WORDS:
        return _COLOUR_WORDS[raw]
    m = _HEX.fullmatch(raw)
    if m is None:
        raise BadInput("err.colour_form", value=_shown(text))
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def _tag_text(text: str | None, *, limit: int) -> str | None:
    clean = _clean(text, limit=limit)
    if clean is not None and not normalise_key(clean):
        # Nothing a nurse could type would ever name it (only separators).
        raise BadInput("err.tag_name_form")
    return clean


async def add_custom_tag(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    name_zh: str,
    name_en: str | None = None,
    colour: str = _CUSTOM_DEFAULT_COLOUR,
    badge_zh: str | None = None,
    badge_en: str | None = None,
    has_detail: bool = False,
    code: str | None = None,
) -> TagKind:
    """The head nurse adds a tag kind of the ward's own (e.g. 防管道滑脱 variants, 防自行拔管).

    Names and badges default to the Chinese name; none of them may already name another
    kind (that would make the word ambiguous for every nurse). `code` defaults to
    custom_N; given, it is 2-32 of a-z, 0-9 and _, starting with a letter.
    """
    await require_head(uow, ward.id, actor.user_id)
    zh = _tag_text(name_zh, limit=MAX_TAG_NAME)
    if zh is None:
        raise BadInput("err.tag_name_form")
    en = _tag_text(name_en, limit=MAX_TAG_NAME_EN) or zh
    b_zh = _tag_text(badge_zh, limit=MAX_TAG_NAME) or zh
    b_en = _tag_text(badge_en, limit=MAX_TAG_NAME_EN) or en
    fill = _colour(colour)
    settings = await uow.ward_tags.of_ward(ward.id)
    every = _catalogue(settings).every
    codes = {k.code for k in every}
    if code is None:
        code = next(f"custom_{n}" for n in range(1, len(codes) + 2) if f"custom_{n}" not in codes)
    elif not _CODE.fullmatch(code):
        raise BadInput("err.tag_code_form", value=_shown(code))
    if code in codes:
        raise Conflict("err.tag_exists", name=code)
    for name in dict.fromkeys((zh, en, b_zh, b_en)):
        if tag_candidates(name, every):
            raise Conflict("err.tag_exists", name=name)
    setting = await uow.ward_tags.put(
        WardTagSetting(
            ward_id=ward.id,
            code=code,
            enabled=True,
            created_at=clock.now(),
            name_zh=zh,
            name_en=en,
            colour=fill,
            badge_zh=b_zh,
            badge_en=b_en,
            has_detail=has_detail,
        )
    )
    kind = _custom_kind(setting)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward_tag:add",
        code,
        after={
            "name_zh": zh,
            "name_en": en,
            "colour": fill,
            "badge_zh": b_zh,
            "badge_en": b_en,
            "has_detail": has_detail,
        },
    )
    return kind


# --- what nurses type ----------------------------------------------------------------------

_COLON = re.compile(r"([^:：]+?)\s*[:：]\s*(.*)")


def _words(args: Sequence[str], *, nfkc: bool) -> list[str]:
    # Cleaned first, so every word and every text built from them has nothing invisible.
    # NFKC where times are read (full-width digits and colons, １１－２０, １４：３０, become
    # plain ones); not in a tag's detail, whose compatibility forms carry meaning (10⁹/L).
    return clean_text(" ".join(args), nfkc=nfkc).split()


def _name_length(words: Sequence[str], names: Callable[[str], Sequence[object]]) -> int:
    """How many leading words (up to three) name a kind together: "drug allergy"."""
    for n in (3, 2):
        # Every word must count: "PICC -" is PICC and a placeholder, not a longer name.
        if len(words) >= n and all(map(normalise_key, words[:n])) and names(" ".join(words[:n])):
            return n
    return 1


def parse_tag_args(
    args: Sequence[str], *, kinds: Sequence[TagKind] = DEFAULT_TAGS
) -> tuple[str, str | None]:
    """Split the words after the bed of `/tag <bed> <tag> [detail]` into (tag word, detail).

    The tag is the first word, or the first two or three when together they name a kind
    in `kinds` ("drug allergy", "nil by mouth"); everything after it is the detail:
    `过敏 青霉素,头孢` → ("过敏", "青霉素,头孢"). A colon may join them instead:
    `过敏:青霉素`, `过敏：青霉素`. Whether the word names a kind is the service's check.
    """
    words = _words(args, nfkc=False)
    if not words:
        raise BadInput("err.missing_args")
    text = " ".join(words)
    m = _COLON.fullmatch(text)
    if m is not None and (" " not in m.group(1) or tag_candidates(m.group(1), kinds)):
        # Cleaned again: a mark that sat on the colon would start the detail.
        return m.group(1), clean_text(m.group(2), nfkc=False) or None
    taken = _name_length(words, lambda text: tag_candidates(text, kinds))
    return " ".join(words[:taken]), " ".join(words[taken:]) or None


_DAY_WORDS = (
    ("yesterday", -1),
    ("tomorrow", 1),
    ("today", 0),
    ("今天", 0),
    ("今日", 0),
    ("昨天", -1),
    ("昨日", -1),
    ("前天", -2),
    ("明天", 1),
    ("后天", 2),
    ("後天", 2),
)
# "." is left to clock times (8.30 is half past eight), so dates use - / or 月日.
_DATE = re.compile(r"(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})(?:日(.*))?")
_BARE_NUMBER = re.compile(r"\d{1,2}")
_NO_SITE = {"-", "—", "/", "无"}
_YEARS = range(1900, 2101)
# A date or time given without its year or day means the nearest one, but a typo just
# ahead of now must be refused as in the future, not silently moved a year or a day back:
# only dates more than half a year ahead (12-30 typed in January) are last year's, and
# only times more than half a day ahead (22:00 typed at 01:00) yesterday's.
_YEAR_WRAP = timedelta(days=183)
_DAY_WRAP = timedelta(hours=12)


def _clock(text: str) -> time | None:
    # A bare "2" is far more often a drain's number than two o'clock.
    if _BARE_NUMBER.fullmatch(text):
        return None
    return parse_clock(text)


def _day(word: str, local_today: date) -> tuple[date, str] | None:
    """The day a word starts with, and what follows it in the same word; None if it
    names no day; BadInput for a date-shaped word that is no date (11-31)."""
    lower = word.lower()
    for name, offset in _DAY_WORDS:
        if lower.startswith(name):
            return local_today + timedelta(days=offset), word[len(name) :]
    m = _DATE.fullmatch(word)
    if m is None:
        return None
    year = int(m.group(1)) if m.group(1) else local_today.year
    try:
        if year not in _YEARS:
            raise ValueError(year)
        day = date(year, int(m.group(2)), int(m.group(3)))
        if m.group(1) is None and day - local_today > _YEAR_WRAP:
            day = date(year - 1, day.month, day.day)
    except ValueError as exc:
        raise BadInput("err.time_form", value=_shown(word)) from exc
    return day, m.group(4) or ""


def _when(
    words: Sequence[str], i: int, *, now: datetime, tz: ZoneInfo
) -> tuple[datetime, int] | None:
    """The insertion time starting at words[i] and how many words it takes, or None."""
    word = words[i]
    local_now = now.astimezone(tz)
    found = _day(word, local_now.date())
    if found is None:
        clock = _clock(word)
        if clock is None:
            return None
        at = datetime.combine(local_now.date(), clock, tzinfo=tz)
        if at - local_now > _DAY_WRAP:
            at = datetime.combine(local_now.date() - timedelta(days=1), clock, tzinfo=tz)
        return at.astimezone(UTC), 1
    day, rest = found
    used = 1
    if rest:
        clock = _clock(rest)
        if clock is None:
            return None
    elif i + 1 < len(words) and (clock := _clock(words[i + 1])) is not None:
        used = 2
    else:
        # Only the date is known: count from the start of that day, so a dwell limit is
        # never reached later than it really is.
        clock = time(0, 0)
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC), used


def parse_line_args(
    args: Sequence[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: Sequence[LineKind] = DEFAULT_LINES,
) -> tuple[str, str | None, datetime, str | None]:
    """Read the words after the bed of `/line <bed> <type> [site] [inserted] [purpose]`.

    - type: the first word, or the first two or three when together they name a kind
      ("iv cannula", "chest tube").
    - inserted: the first later word (or date + time pair) that reads as a time:
      `14:30`, `0830`, `8点半`, `11-20`, `11月20日`, `2025-11-20`, `11-20 14:30`,
      `11月20日14:30`, `今天`, `昨天 22:00`, `前天`. A date without a year is this year's,
      or last year's when this year's is more than half a year ahead; a time without a
      date today's, or yesterday's when today's is more than 12 hours ahead; a date
      without a time its 00:00. None given: now. (A time just ahead stays in the future,
      for the service to refuse: a typo is not silently moved back.)
    - site and purpose: with a time, the words before it are the site and the words after
      it the purpose; without one, the first word is the site and the rest the purpose.
      A site of "-" means none: `/line 12 PICC - 化疗`.

    Returns (type word, site, inserted_at as aware UTC, purpose). Whether the type is
    known and the time not in the future is the service's check.
    """
    words = _words(args, nfkc=True)
    if not words:
        raise BadInput("err.missing_args")
    taken = _name_length(words, lambda text: line_candidates(text, kinds))
    word, rest = " ".join(words[:taken]), words[taken:]
    inserted: datetime | None = None
    before, after = rest[:1], rest[1:]
    for i in range(len(rest)):
        found = _when(rest, i, now=now, tz=tz)
        if found is not None:
            inserted, used = found
            before, after = rest[:i], rest[i + used :]
            break
    site = " ".join(before) or None
    if site in _NO_SITE:
        site = None
    when = (inserted if inserted is not None else now).astimezone(UTC)
    return word, site, when, " ".join(after) or None


# --- tags on patients ----------------------------------------------------------------------


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
) -> tuple[Stay, PatientTag]:
    """Put a warning tag on the patient in `bed`, or change the detail of one already up.

    The word is looked up among the ward's enabled kinds. Kinds that take a detail
    (allergy: the allergens; fasting: since when) refuse to go up without one.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    catalogue = await _ward_catalogue(uow, ward)
    if not tag_candidates(word, catalogue.enabled) and tag_candidates(word, catalogue.every):
        raise BadInput("err.tag_disabled", tag=_shown(word))
    kind = _one_kind(word, catalogue.enabled, ward.locale)
    text = _clean(detail, limit=MAX_DETAIL)
    if kind.has_detail and text is None:
        raise BadInput("err.tag_detail_needed", tag=_tag_name(kind, ward.locale))
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
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str, word: str
) -> tuple[Stay, PatientTag]:
    """Take a warning tag off: its row stays, marked removed.

    A word naming several kinds is fine when only one of them is up ("隔离" with only
    contact isolation on the patient).
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    catalogue = await _ward_catalogue(uow, ward)
    named = tag_candidates(word, catalogue.every)
    if not named:
        raise BadInput("err.tag_unknown", word=_shown(word))
    codes = {k.code for k in named}
    up = [t for t in await uow.tags.present([stay.id]) if t.code in codes]
    if not up:
        raise NotFound("err.tag_absent", bed=bed, tag=_shown(word))
    if len(up) > 1:
        by_code = catalogue.by_code()
        raise BadInput(
            "err.tag_ambiguous",
            word=_shown(word),
            options=_options((_tag_name(by_code[t.code], ward.locale) for t in up), ward.locale),
        )
    removed = await uow.tags.update(
        dataclasses.replace(up[0], removed_at=clock.now(), removed_by=actor.user_id)
    )
    await record_audit(
        uow, clock, actor, ward.id, "tag:remove", f"bed {bed}", before=_tag_audit(up[0])
    )
    return stay, removed


# --- lines ---------------------------------------------------------------------------------


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
        raise BadInput("err.line_unknown", word=_shown(word))
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
            site=_clean(site, limit=MAX_SITE),
            inserted_at=when.astimezone(UTC),
            purpose=_clean(purpose, limit=MAX_PURPOSE),
            added_by=actor.user_id,
        )
    )
    await record_audit(
        uow, clock, actor, ward.id, "line:add", f"bed {bed}", after=_line_audit(line)
    )
    return stay, line


def _numbered(lines: Sequence[PatientLine]) -> list[tuple[int, PatientLine]]:
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
    numbered = _numbered(await uow.lines.of_stays([stay.id]))
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
            raise BadInput("err.line_unknown", word=_shown(text))
        chosen = [(n, ln) for n, ln in present if ln.code == kind.code]
        if not chosen:
            raise NotFound("err.line_absent", bed=bed, line=_shown(text))
        if len(chosen) > 1:
            raise BadInput(
                "err.line_which",
                bed=bed,
                line=_shown(text),
                options=_options(
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


# --- the board's and the card's view -------------------------------------------------------


def _fallback_tag(code: str) -> TagKind:
    # A tag whose kind left the catalogue (a code renamed in a release) still shows.
    return TagKind(code, code, code, _CUSTOM_DEFAULT_COLOUR, code, code)


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
    printed sign outdated once, so add to it deliberately.
    """
    tz = ZoneInfo(ward.timezone)
    shown = {
        "v": 1,
        "ward": ward.name,
        "bed": stay.bed,
        "name": mask_name(stay.name),
        "sex": stay.sex.value,
        "age": str(stay.age),
        "level": stay.level.value if stay.level is not None else None,
        "token": stay.token,
        "tags": sorted(
            [t.kind.code, t.tag.detail or "", t.kind.colour, t.kind.badge_zh, t.kind.badge_en]
            for t in tags
        ),
        "lines": sorted(
            [
                ln.kind.code,
                ln.line.site or "",
                ln.line.inserted_at.astimezone(tz).date().isoformat(),
                ln.line.purpose or "",
            ]
            for ln in lines
        ),
    }
    blob = json.dumps(shown, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _assemble(
    ward: Ward,
    stays: Sequence[Stay],
    catalogue: _Catalogue,
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
        for number, line in _numbered(lines_of.get(stay.id, ())):
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
    catalogue = await _ward_catalogue(uow, ward)
    tags = await uow.tags.present(ids)
    lines = await uow.lines.of_stays(ids)
    prints = await uow.signs.of_stays(ids)
    return _assemble(ward, stays, catalogue, tags, lines, prints, clock.now())


# --- signs ---------------------------------------------------------------------------------


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
    view = _assemble(
        ward,
        stays,
        await _ward_catalogue(uow, ward),
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


def sign_words(locale: str) -> SignWords:
    """The renderer's words for a locale (pass to render_sign_png / render_signs_pdf)."""
    return SIGN_WORDS_ZH if _is_zh(locale) else SIGN_WORDS_EN


def build_bed_sign(
    ward: Ward,
    stay: Stay,
    info: BedsideInfo,
    *,
    deep_link: str,
    now: datetime,
    locale: str | None = None,
    level_colours: Mapping[NursingLevel, str] = LEVEL_COLOURS,
) -> BedSign:
    """The renderer's input for one bed: masked name, level band, badges, allergies, lines.

    `locale` defaults to the ward's: a sign hangs for every nurse of the ward. The allergy
    badge prints without its detail, which goes in the allergy box instead.
    """
    lang = locale or ward.locale
    t = texts(lang, ward.timezone)
    zh = _is_zh(t.locale)
    tz = ZoneInfo(ward.timezone)
    bed = stay.bed
    if zh and bed.startswith("+"):
        bed = "加" + bed[1:]  # 加1床, as the board writes it
    tags = tuple(
        SignTag(
            text=t_.kind.badge_zh if zh else t_.kind.badge_en,
            colour=t_.kind.colour,
            detail=None if t_.kind.code == ALLERGY_TAG else t_.tag.detail,
        )
        for t_ in info.tags
    )
    lines = tuple(
        SignLine(
            name=" ".join(p for p in (_line_name(ln.kind, t.locale), ln.line.site) if p),
            inserted=ln.line.inserted_at.astimezone(tz).date(),
            dwell_limit_days=ln.kind.max_dwell_days,
            purpose=ln.line.purpose,
            external=ln.kind.route_group != "iv",
        )
        for ln in info.lines
    )
    level = stay.level
    return BedSign(
        ward_name=ward.name,
        bed_label=bed,
        masked_name=mask_name(stay.name),
        sex=t(f"sex.{stay.sex.value}"),
        age=t(f"age.{stay.age.unit}", n=stay.age.value),
        nursing_level=t(f"level.{level.value}") if level is not None else "",
        level_colour=(
            level_colours.get(level, _NO_LEVEL_COLOUR) if level is not None else _NO_LEVEL_COLOUR
        ),
        tags=tags,
        allergies=info.allergies,
        lines=lines,
        deep_link=deep_link,
        scan_hint=t("sign.scan_hint"),
        printed_at=t("sign.printed_at", when=now.astimezone(tz).strftime("%Y-%m-%d %H:%M")),
    )


async def board_with_bedside(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    """The whole board: today's lists plus every bed's tags, lines and sign state."""
    data = await board_data(uow, clock, ward=ward)
    view = await bedside_view(uow, clock, ward=ward, stays=data.active)
    return dataclasses.replace(data, bedside=view)

"""The ward's warning-tag catalogue: default and custom kinds, switched on and off."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from boards.access import Actor, record_audit, require_head
from boards.bedside._common import CUSTOM_DEFAULT_COLOUR, joined, tag_name
from boards.errors import BadInput, Conflict
from boards.model import Ward, WardTagSetting
from boards.ports import Clock, UnitOfWork
from boards.tags import DEFAULT_TAGS, TagKind, normalise_key, tag_candidates
from boards.text import clean_field, clean_text, excerpt

__all__ = [
    "MAX_TAG_NAME",
    "MAX_TAG_NAME_EN",
    "Catalogue",
    "add_custom_tag",
    "disable_tag",
    "disabled_tag_codes",
    "enable_tag",
    "one_kind",
    "ward_catalogue",
    "ward_tag_kinds",
]

MAX_TAG_NAME = 16  # a badge on an A6 sign holds about this many characters
MAX_TAG_NAME_EN = 32


def _custom_kind(setting: WardTagSetting) -> TagKind:
    name_zh = setting.name_zh or setting.code
    name_en = setting.name_en or name_zh
    return TagKind(
        code=setting.code,
        name_zh=name_zh,
        name_en=name_en,
        colour=setting.colour or CUSTOM_DEFAULT_COLOUR,
        badge_zh=setting.badge_zh or name_zh,
        badge_en=setting.badge_en or name_en,
        has_detail=setting.has_detail,
    )


@dataclass(frozen=True, slots=True)
class Catalogue:
    enabled: tuple[TagKind, ...]
    every: tuple[TagKind, ...]  # disabled ones too: tags already up stay readable

    def by_code(self) -> dict[str, TagKind]:
        return {k.code: k for k in self.every}


def _catalogue(settings: Sequence[WardTagSetting]) -> Catalogue:
    off = {s.code for s in settings if not s.enabled}
    custom = [_custom_kind(s) for s in settings if s.custom]
    every = (*DEFAULT_TAGS, *custom)
    return Catalogue(tuple(k for k in every if k.code not in off), every)


async def ward_catalogue(uow: UnitOfWork, ward: Ward) -> Catalogue:
    return _catalogue(await uow.ward_tags.of_ward(ward.id))


async def ward_tag_kinds(uow: UnitOfWork, *, ward: Ward) -> tuple[TagKind, ...]:
    """The kinds nurses of this ward can tag with: the defaults the ward has not switched
    off, then the ward's own, in that order (the order badges print in)."""
    return (await ward_catalogue(uow, ward)).enabled


async def disabled_tag_codes(uow: UnitOfWork, *, ward: Ward) -> list[str]:
    """The codes of the tags this ward has switched off, as `/tags` lists them."""
    return [s.code for s in await uow.ward_tags.of_ward(ward.id) if not s.enabled]


def one_kind(word: str, kinds: Sequence[TagKind], locale: str) -> TagKind:
    found = tag_candidates(word, kinds)
    if not found:
        raise BadInput("err.tag_unknown", word=excerpt(word))
    if len(found) > 1:
        raise BadInput(
            "err.tag_ambiguous",
            word=excerpt(word),
            options=joined((tag_name(k, locale) for k in found), locale),
        )
    return found[0]


async def _set_enabled(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, word: str, enabled: bool
) -> TagKind:
    await require_head(uow, ward.id, actor.user_id)
    settings = await uow.ward_tags.of_ward(ward.id)
    kind = one_kind(word, _catalogue(settings).every, ward.locale)
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
        raise BadInput("err.colour_form", value=excerpt(text))
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def _tag_text(text: str | None, *, limit: int) -> str | None:
    clean = clean_field(text, limit=limit)
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
    colour: str = CUSTOM_DEFAULT_COLOUR,
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
        raise BadInput("err.tag_code_form", value=excerpt(code))
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

"""Warning-tag catalogue: the bedside warning plates a Chinese ward hangs, and name lookup."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from boards.text import clean_text, fold_traditional

__all__ = ["DEFAULT_TAGS", "TagKind", "normalise_key", "resolve_tag", "tag_candidates"]

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True, slots=True)
class TagKind:
    """One kind of warning tag (警示标识).

    `colour` is a conventional default ("#RRGGBB"); hospitals differ, so wards may override
    it. A badge always carries its text too: no meaning is carried by colour alone.
    `has_detail` says the tag takes free text (the allergens, the time fasting starts).
    """

    code: str
    name_zh: str
    name_en: str
    colour: str
    badge_zh: str
    badge_en: str
    has_detail: bool = False
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _HEX_COLOUR.fullmatch(self.colour):
            raise ValueError(f"tag {self.code!r}: colour must be #RRGGBB, got {self.colour!r}")


# Colours follow common practice where there is one: WS/T 311 isolation signs are blue
# for contact, pink for droplet and yellow for airborne; fall risk is yellow; allergy red.
# Aliases hold the forms nurses type: the name without 防, short forms, and the zh_TW
# words from GLOSSARY.md so Hong Kong and Taiwan wards are understood too.
DEFAULT_TAGS: tuple[TagKind, ...] = (
    TagKind(
        code="fall",
        name_zh="防跌倒",
        name_en="Fall risk",
        colour="#FFD600",
        badge_zh="防跌倒",
        badge_en="FALL",
        has_detail=False,
        aliases=("跌倒", "防摔", "fall"),
    ),
    TagKind(
        code="bed_fall",
        name_zh="防坠床",
        name_en="Bed-fall risk",
        colour="#FF9800",
        badge_zh="防坠床",
        badge_en="BED FALL",
        has_detail=False,
        aliases=("坠床", "防墜床", "墜床", "bed fall", "bedfall"),
    ),
    TagKind(
        code="allergy",
        name_zh="药物过敏",
        name_en="Drug allergy",
        colour="#D32F2F",
        badge_zh="过敏",
        badge_en="ALLERGY",
        has_detail=True,
        aliases=("过敏", "药敏", "藥物過敏", "過敏", "allergic", "drug allergy"),
    ),
    TagKind(
        code="line_dislodgement",
        name_zh="防导管脱落",
        name_en="Line dislodgement risk",
        colour="#2E7D32",
        badge_zh="防脱管",
        badge_en="LINES",
        has_detail=False,
        aliases=(
            "导管脱落",
            "导管",
            "脱管",
            "防脱管",
            "防非计划拔管",
            "非计划拔管",
            "防拔管",
            "防管路滑脱",
            "防管路滑脫",
            "管路滑脫",
            "lines",
            "line",
            "dislodgement",
        ),
    ),
    TagKind(
        code="pressure_injury",
        name_zh="防压疮",
        name_en="Pressure injury risk",
        colour="#795548",
        badge_zh="防压疮",
        badge_en="PRESSURE",
        has_detail=False,
        aliases=(
            "压疮",
            "压力性损伤",
            "防压力性损伤",
            "褥疮",
            "防褥疮",
            "防壓傷",
            "壓傷",
            "壓瘡",
            "pressure",
            "pressure ulcer",
            "pressure sore",
        ),
    ),
    TagKind(
        code="isolation_contact",
        name_zh="接触隔离",
        name_en="Contact isolation",
        colour="#1565C0",
        badge_zh="接触隔离",
        badge_en="CONTACT",
        has_detail=False,
        aliases=(
            "接触",
            "隔离接触",
            "接觸隔離",
            "接觸",
            "contact",
            "isolation contact",
            "隔离",
            "隔離",
            "isolation",
        ),
    ),
    TagKind(
        code="isolation_droplet",
        name_zh="飞沫隔离",
        name_en="Droplet isolation",
        colour="#F48FB1",
        badge_zh="飞沫隔离",
        badge_en="DROPLET",
        has_detail=False,
        aliases=(
            "飞沫",
            "隔离飞沫",
            "飛沫隔離",
            "飛沫",
            "droplet",
            "isolation droplet",
            "隔离",
            "隔離",
            "isolation",
        ),
    ),
    TagKind(
        code="isolation_airborne",
        name_zh="空气隔离",
        name_en="Airborne isolation",
        colour="#FDD835",
        badge_zh="空气隔离",
        badge_en="AIRBORNE",
        has_detail=False,
        aliases=(
            "空气",
            "隔离空气",
            "空氣隔離",
            "空氣",
            "airborne",
            "isolation airborne",
            "隔离",
            "隔離",
            "isolation",
        ),
    ),
    TagKind(
        code="nil_by_mouth",
        name_zh="禁食",
        name_en="Nil by mouth",
        colour="#37474F",
        badge_zh="禁食",
        badge_en="NBM",
        has_detail=True,
        aliases=("nbm", "npo", "fasting", "nil by mouth"),
    ),
    TagKind(
        code="no_fluids",
        name_zh="禁饮",
        name_en="No fluids",
        colour="#546E7A",
        badge_zh="禁饮",
        badge_en="NO FLUIDS",
        has_detail=True,
        aliases=("禁水", "禁飲", "no fluids", "nil fluids"),
    ),
    TagKind(
        code="bleeding",
        name_zh="出血风险",
        name_en="Bleeding risk",
        colour="#B71C1C",
        badge_zh="出血风险",
        badge_en="BLEEDING",
        has_detail=False,
        aliases=("出血", "防出血", "出血風險", "bleeding", "bleed"),
    ),
    TagKind(
        code="aspiration",
        name_zh="防误吸",
        name_en="Aspiration risk",
        colour="#006064",
        badge_zh="防误吸",
        badge_en="ASPIRATION",
        has_detail=False,
        aliases=("误吸", "防呛咳", "防嗆咳吸入", "aspiration"),
    ),
    TagKind(
        code="scald",
        name_zh="防烫伤",
        name_en="Scald risk",
        colour="#EF6C00",
        badge_zh="防烫伤",
        badge_en="SCALD",
        has_detail=False,
        aliases=("烫伤", "防燙傷", "燙傷", "scald", "burn"),
    ),
    TagKind(
        code="wandering",
        name_zh="防走失",
        name_en="Wandering risk",
        colour="#6A1B9A",
        badge_zh="防走失",
        badge_en="WANDERING",
        has_detail=False,
        aliases=("走失", "wander", "wandering", "absconding"),
    ),
    # Beyond the glossary: VTE prophylaxis and strict bed rest are on most surgical wards'
    # plates; self-harm risk is common in general wards too, and sensitive, so its badge
    # says 防自伤 rather than naming suicide on a sign visitors read.
    TagKind(
        code="vte",
        name_zh="防血栓",
        name_en="VTE risk",
        colour="#283593",
        badge_zh="防血栓",
        badge_en="VTE",
        has_detail=False,
        aliases=("血栓", "防VTE", "dvt", "防dvt", "vte risk", "thrombosis"),
    ),
    TagKind(
        code="bed_rest",
        name_zh="绝对卧床",
        name_en="Strict bed rest",
        colour="#00695C",
        badge_zh="绝对卧床",
        badge_en="BED REST",
        has_detail=False,
        aliases=("卧床", "绝对卧床休息", "絕對臥床", "bed rest"),
    ),
    TagKind(
        code="self_harm",
        name_zh="防自伤",
        name_en="Self-harm risk",
        colour="#AD1457",
        badge_zh="防自伤",
        badge_en="SELF-HARM",
        has_detail=False,
        aliases=("自伤", "防自杀", "自杀", "防自傷", "self harm", "suicide"),
    ),
)

# Separators nurses type between words of a name: dropped so "bed fall", "bed_fall" and
# "Bed-Fall" meet at one key.
_SEPARATORS = re.compile(r"[\s_\-·・.]+")


def normalise_key(text: str) -> str:
    """The lookup key for a typed name: cleaned (NFKC, so full-width letters become ASCII,
    and no invisible characters), casefolded, separators removed."""
    return _SEPARATORS.sub("", fold_traditional(clean_text(text)).casefold())


def _names(kind: TagKind) -> Iterable[str]:
    yield kind.code
    yield kind.name_zh
    yield kind.name_en
    yield kind.badge_zh
    yield kind.badge_en
    yield from kind.aliases


def tag_candidates(text: str, kinds: Sequence[TagKind]) -> tuple[TagKind, ...]:
    """Every kind that `text` names exactly (code, names, badges or aliases), in catalogue
    order. More than one means the text is ambiguous: "隔离" names all three isolations."""
    key = normalise_key(text)
    if not key:
        return ()
    return tuple(k for k in kinds if key in _keys(k))


@functools.lru_cache(maxsize=1024)
def _keys(kind: TagKind) -> frozenset[str]:
    """The lookup keys of a kind's names, made once: every /tag compares the typed word with
    every name of the ward's catalogue (some 200; normalising them each time was a
    millisecond a command). A catalogue's words, a ward's own tags' included: no patient's."""
    return frozenset(normalise_key(n) for n in _names(kind))


def resolve_tag(text: str, kinds: Sequence[TagKind]) -> TagKind | None:
    """The one kind `text` names, or None when it names none or several.

    Accepts the code, Chinese or English name, either badge, or an alias; Latin is matched
    case-insensitively. "隔离" alone is ambiguous and gives None: isolation precautions
    differ (gown, mask, negative-pressure room), so guessing one is unsafe; the caller
    shows `tag_candidates` and asks for 接触隔离 / 飞沫隔离 / 空气隔离.
    """
    found = tag_candidates(text, kinds)
    return found[0] if len(found) == 1 else None

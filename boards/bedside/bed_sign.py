"""A bed's sign as the renderer takes it: masked name, level band, badges, allergies, lines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from boards.board_data import ALLERGY_TAG, BedsideInfo
from boards.i18n import is_chinese, normalise_locale, pick, texts
from boards.lines import LineKind
from boards.masking import mask_name
from boards.model import NursingLevel, Stay, Ward
from boards.signs import (
    SIGN_WORDS_EN,
    SIGN_WORDS_TW,
    SIGN_WORDS_ZH,
    BedSign,
    SignLine,
    SignTag,
    SignWords,
)

__all__ = ["LEVEL_COLOURS", "build_bed_sign", "sign_words"]

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


def _line_name(kind: LineKind, locale: str) -> str:
    return pick(locale, kind.name_zh, kind.name_en)


def sign_words(locale: str) -> SignWords:
    """The renderer's words for a locale (pass to render_sign_png / render_signs_pdf)."""
    if normalise_locale(locale) == "zh_TW":
        return SIGN_WORDS_TW
    return SIGN_WORDS_ZH if is_chinese(locale) else SIGN_WORDS_EN


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
    zh = t.chinese
    tz = ZoneInfo(ward.timezone)
    bed = stay.bed
    if zh and bed.startswith("+"):
        bed = "加" + bed[1:]  # 加1床, as the board writes it
    tags = tuple(
        SignTag(
            text=t.pick(t_.kind.badge_zh, t_.kind.badge_en),
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

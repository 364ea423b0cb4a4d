"""What a sign and a line label show: the bed's data and the renderer's words, localised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from boards.signs.colour import rgb

__all__ = [
    "SIGN_WORDS_EN",
    "SIGN_WORDS_TW",
    "SIGN_WORDS_ZH",
    "BedSign",
    "SignLine",
    "SignTag",
    "SignWords",
]


@dataclass(frozen=True, slots=True)
class SignTag:
    """A warning badge as printed: localised text, its ward colour, optional detail."""

    text: str
    colour: str
    detail: str | None = None

    def __post_init__(self) -> None:
        rgb(self.colour)


@dataclass(frozen=True, slots=True)
class SignLine:
    """A line as printed: localised name, insertion date, dwell limit, purpose.

    `external` marks non-IV use (外用): its label looks different from an IV (静脉) one.
    """

    name: str
    inserted: date
    dwell_limit_days: int | None = None
    purpose: str | None = None
    external: bool = False

    def __post_init__(self) -> None:
        if self.dwell_limit_days is not None and self.dwell_limit_days <= 0:
            raise ValueError("dwell_limit_days must be positive or None")


@dataclass(frozen=True, slots=True)
class BedSign:
    """Everything one bedside sign shows; all strings arrive localised and masked.

    `allergies` None prints no allergy box (nothing recorded); pass "无" / "NKDA"
    explicitly to print that the patient has none.
    """

    ward_name: str
    bed_label: str
    masked_name: str
    sex: str
    age: str
    nursing_level: str
    level_colour: str
    tags: tuple[SignTag, ...]
    allergies: str | None
    lines: tuple[SignLine, ...]
    deep_link: str
    scan_hint: str
    printed_at: str

    def __post_init__(self) -> None:
        rgb(self.level_colour)
        if not self.deep_link:
            raise ValueError("the sign needs a deep link for its QR")


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class SignWords:
    """The renderer's own words and formats, in one language (the data arrives localised)."""

    title: str = "床头卡"
    bed: str = "{bed}床"
    allergy: str = "过敏"
    lines: str = "导管"
    inserted: str = "置管"
    more_lines: str = "…另{n}条"
    more_tags: str = "另{n}项"
    detail_sep: str = "："
    sep: str = " · "
    dwell_limit: str = "留置期限"
    hours: str = "{n}小时"
    days: str = "{n}天"
    until: str = "至{date}"
    no_limit: str = "无固定期限"
    purpose: str = "用途："
    iv: str = "静脉"
    external: str = "外用"
    date_short: str = "{m}月{d}日"
    date_long: str = "{y}年{m}月{d}日"

    def date(self, d: date, *, long: bool = False) -> str:
        fmt = self.date_long if long else self.date_short
        return fmt.format(y=d.year, m=d.month, d=d.day, mon=_MONTHS_EN[d.month - 1])


SIGN_WORDS_ZH = SignWords()
# Hong Kong and Taiwan wards (GLOSSARY.md's zh_TW column: 置放, 管路).
SIGN_WORDS_TW = SignWords(
    title="床頭卡",
    allergy="過敏",
    lines="管路",
    inserted="置放",
    more_lines="…另{n}條",
    more_tags="另{n}項",
    hours="{n}小時",
    no_limit="無固定期限",
    iv="靜脈",
)
SIGN_WORDS_EN = SignWords(
    title="Bedside card",
    bed="Bed {bed}",
    allergy="ALLERGY",
    lines="Lines",
    inserted="inserted",
    more_lines="…+{n} more",
    more_tags="+{n} more",
    detail_sep=": ",
    sep=", ",
    dwell_limit="Limit",
    hours="{n} h",
    days="{n} days",
    until="until {date}",
    no_limit="no fixed limit",
    purpose="For: ",
    iv="IV",
    external="EXTERNAL",
    date_short="{d} {mon}",
    date_long="{d} {mon} {y}",
)

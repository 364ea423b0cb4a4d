"""Bedside signs (床头卡) and line labels rendered to PNG and print-ready PDF, no messenger."""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources

import qrcode
from PIL import Image, ImageDraw, ImageFont

from boards.fonts import font_path
from boards.lines import due_date

__all__ = [
    "LABEL_SIZE_MM",
    "SIGN_SIZE_MM",
    "SIGN_WORDS_EN",
    "SIGN_WORDS_ZH",
    "BedSign",
    "SignLine",
    "SignTag",
    "SignWords",
    "contrast_ratio",
    "render_line_label_png",
    "render_sign_pdf",
    "render_sign_png",
    "render_signs_pdf",
    "text_colour_for",
]

SIGN_SIZE_MM = (105.0, 148.0)  # A6 portrait
LABEL_SIZE_MM = (60.0, 30.0)
_A4_MM = (210.0, 297.0)

_INK = "#000000"
_PAPER = "#FFFFFF"
_GREY = "#4D4D4D"  # small print: still dark enough for a worn office laser printer
_ALLERGY_RED = "#C62828"
_MORE_FILL = "#E0E0E0"


# ----------------------------------------------------------------------------- input data


@dataclass(frozen=True, slots=True)
class SignTag:
    """A warning badge as printed: localised text, its ward colour, optional detail."""

    text: str
    colour: str
    detail: str | None = None

    def __post_init__(self) -> None:
        _rgb(self.colour)


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
        _rgb(self.level_colour)
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


# ----------------------------------------------------------------------------- colour


def _rgb(colour: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})", colour)
    if m is None:
        raise ValueError(f"colour must be #RRGGBB, got {colour!r}")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def _luminance(colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#RRGGBB" colours, 1.0 to 21.0."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _printed_grey(colour: str) -> str:
    """The grey a black-and-white printer makes of `colour` (Rec. 601 luma, as Pillow's
    "L" conversion and most drivers do)."""
    r, g, b = _rgb(colour)
    v = round(0.299 * r + 0.587 * g + 0.114 * b)
    return f"#{v:02X}{v:02X}{v:02X}"


def text_colour_for(fill: str) -> str:
    """Black or white, whichever reads better on `fill` both on screen (WCAG contrast) and
    printed in black and white (contrast with the fill's printed grey)."""

    def worst(ink: str) -> float:
        return min(contrast_ratio(fill, ink), contrast_ratio(_printed_grey(fill), ink))

    return _INK if worst(_INK) >= worst(_PAPER) else _PAPER


# ----------------------------------------------------------------------------- font + canvas

_RESOURCES = contextlib.ExitStack()
atexit.register(_RESOURCES.close)


@functools.cache
def _font_file() -> str:
    # as_file gives the real path of an installed package, or a temporary copy (kept until
    # exit) when the package is imported from a zip.
    return str(_RESOURCES.enter_context(resources.as_file(font_path("regular"))))


@functools.lru_cache(maxsize=256)
def _font(size_px: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: the same measurements on every machine, with or without libraqm.
    return ImageFont.truetype(_font_file(), size_px, layout_engine=ImageFont.Layout.BASIC)


# Opening brackets stick to the unit after them, closing punctuation to the unit before,
# so no line starts with "，" or ends with "（".
_CLOSING = set("，。、；：！？）」』】》〉”’…%,.;:!?)]}·")
_OPENING = set("（「『【《〈“‘([{")
_UNIT = re.compile(r"\s+|[^\s\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]+|.")


def _units(text: str) -> list[str]:
    units: list[str] = []
    for piece in _UNIT.findall(text):
        if units and piece[0] in _CLOSING:
            if units[-1].isspace() and len(units) > 1:
                # "xx · yy": the separator stays on the line it ends, with its space.
                units[-2] += units.pop()
            units[-1] += piece
        elif units and units[-1][-1] in _OPENING:
            units[-1] += piece
        else:
            units.append(piece)
    return units


class _Canvas:
    """A white page measured in millimetres; draws text with the shipped font."""

    def __init__(self, width_mm: float, height_mm: float, dpi: int) -> None:
        self.k = dpi / 25.4
        self.image = Image.new("RGB", (self.px(width_mm), self.px(height_mm)), _PAPER)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm * self.k)

    def _font_and_stroke(self, size_mm: float, bold: bool) -> tuple[ImageFont.FreeTypeFont, int]:
        size_px = max(4, self.px(size_mm))
        # Only a Regular face ships: a stroke of ~2% of the em reads as bold without
        # filling the counters of dense ideographs.
        stroke = max(1, round(size_px * 0.02)) if bold else 0
        return _font(size_px), stroke

    def width(self, text: str, size_mm: float, *, bold: bool = False) -> float:
        font, stroke = self._font_and_stroke(size_mm, bold)
        return (font.getlength(text) + 2 * stroke) / self.k

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        size_mm: float,
        fill: str = _INK,
        *,
        bold: bool = False,
        anchor: str = "ls",
    ) -> None:
        font, stroke = self._font_and_stroke(size_mm, bold)
        self.draw.text(
            (x * self.k, baseline * self.k),
            text,
            fill=fill,
            font=font,
            anchor=anchor,
            stroke_width=stroke,
            stroke_fill=fill,
        )

    def text_centred(
        self,
        x0: float,
        x1: float,
        cy: float,
        text: str,
        size_mm: float,
        fill: str,
        *,
        bold: bool = False,
    ) -> None:
        # Ideographs and Latin capitals both centre about 0.38 em above the baseline.
        self.text((x0 + x1) / 2, cy + 0.38 * size_mm, text, size_mm, fill, bold=bold, anchor="ms")

    def rect(
        self,
        box: tuple[float, float, float, float],
        *,
        fill: str | None = None,
        outline: str | None = None,
        line_mm: float = 0.0,
        radius_mm: float = 0.0,
    ) -> None:
        x0, y0, x1, y1 = (self.px(v) for v in box)
        width = max(1, self.px(line_mm)) if outline else 0
        if radius_mm > 0:
            self.draw.rounded_rectangle(
                (x0, y0, x1, y1), self.px(radius_mm), fill=fill, outline=outline, width=width
            )
        else:
            self.draw.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=width)

    def hline(self, x0: float, x1: float, y: float, colour: str, line_mm: float) -> None:
        self.rect((x0, y - line_mm / 2, x1, y + line_mm / 2), fill=colour)

    def dashed_box(
        self,
        box: tuple[float, float, float, float],
        colour: str,
        line_mm: float,
        dash_mm: float,
    ) -> None:
        """A dashed rectangle whose dashes start and end at the corners."""
        x0, y0, x1, y1 = box
        h = line_mm / 2
        for a, b, horizontal, fixed in (
            (x0 - h, x1 + h, True, y0),
            (x0 - h, x1 + h, True, y1),
            (y0 - h, y1 + h, False, x0),
            (y0 - h, y1 + h, False, x1),
        ):
            count = max(2, round((b - a + dash_mm) / (2 * dash_mm)))
            step = (b - a) / (2 * count - 1)
            for i in range(count):
                start, end = a + 2 * i * step, a + (2 * i + 1) * step
                if horizontal:
                    self.rect((start, fixed - h, end, fixed + h), fill=colour)
                else:
                    self.rect((fixed - h, start, fixed + h, end), fill=colour)

    def truncate(self, text: str, size_mm: float, max_w: float, *, bold: bool = False) -> str:
        """`text`, or its longest prefix plus "…" that fits `max_w`."""
        if self.width(text, size_mm, bold=bold) <= max_w:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # longest prefix whose "prefix…" fits
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid].rstrip() + "…", size_mm, bold=bold) <= max_w:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "…"

    def fit_size(
        self, text: str, max_w: float, size_mm: float, min_mm: float, *, bold: bool = False
    ) -> float:
        """The largest size from `size_mm` down to `min_mm` at which `text` fits `max_w`."""
        width = self.width(text, size_mm, bold=bold)
        if width <= max_w:
            return size_mm
        return max(min_mm, size_mm * max_w / width * 0.98)

    def wrap(
        self,
        text: str,
        size_mm: float,
        max_w: float,
        *,
        bold: bool = False,
        max_lines: int | None = None,
    ) -> list[str]:
        """Greedy line breaking: between CJK characters or at spaces, words kept whole
        unless one alone is too wide. Past `max_lines` the last line ends in "…"."""
        lines: list[str] = []
        current = ""
        for unit in _units(" ".join(text.split())):
            candidate = current + unit
            if self.width(candidate, size_mm, bold=bold) <= max_w:
                current = candidate
                continue
            if current.strip():
                lines.append(current.rstrip())
            current = "" if unit.isspace() else unit
            while self.width(current, size_mm, bold=bold) > max_w and len(current) > 1:
                # One unit wider than the line: cut it where it stops fitting.
                cut = len(self.truncate(current, size_mm, max_w, bold=bold)) - 1
                cut = max(cut, 1)
                lines.append(current[:cut])
                current = current[cut:]
        if current.strip():
            lines.append(current.rstrip())
        if max_lines is not None and len(lines) > max_lines:
            last = self.truncate(lines[max_lines - 1] + "…", size_mm, max_w, bold=bold)
            lines = [*lines[: max_lines - 1], last]
        return lines or [""]

    def qr(self, data: str, x: float, y: float, side_mm: float) -> None:
        """A QR symbol exactly `side_mm` wide at (x, y); the caller keeps 4 modules clear
        around it. Module edges are rounded per module so the printed size is exact."""
        matrix = _qr_matrix(data)
        n = len(matrix)
        step = side_mm / n
        for row, cells in enumerate(matrix):
            for col, dark in enumerate(cells):
                if dark:
                    self.draw.rectangle(
                        (
                            self.px(x + col * step),
                            self.px(y + row * step),
                            self.px(x + (col + 1) * step) - 1,
                            self.px(y + (row + 1) * step) - 1,
                        ),
                        fill=_INK,
                    )


def _qr_matrix(data: str) -> list[list[bool]]:
    if not data:
        raise ValueError("the sign needs a deep link for its QR")
    # Level Q (25% recovery): laminated signs get glare, scratches and tape.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=0)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


# ----------------------------------------------------------------------------- sign layout

_MARGIN = 5.0
_FRAME_INSET = 2.5
_QR_SIDE = 34.0  # >= 30 mm: scannable from a phone held at arm's length
_QR_QUIET = 4.0  # >= 4 modules of ~0.9 mm
_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)


@dataclass(frozen=True, slots=True)
class _Badge:
    text: str
    fill: str
    width: float


@dataclass(frozen=True, slots=True)
class _Middle:
    """The measured middle of a sign (tags, allergy box, lines) at one scale."""

    scale: float
    tag_rows: tuple[tuple[_Badge, ...], ...]
    allergy_lines: tuple[str, ...]
    line_rows: tuple[str, ...]

    @property
    def badge_font(self) -> float:
        return 5.0 * self.scale

    @property
    def badge_h(self) -> float:
        return self.badge_font * 1.6

    @property
    def gap(self) -> float:
        return 1.6 * self.scale

    @property
    def allergy_font(self) -> float:
        return 5.0 * self.scale

    @property
    def allergy_lh(self) -> float:
        return self.allergy_font * 1.35

    @property
    def line_font(self) -> float:
        return 4.2 * self.scale

    @property
    def line_lh(self) -> float:
        return self.line_font * 1.4

    @property
    def heading_h(self) -> float:
        return 4.5 * self.scale

    def heights(self) -> list[float]:
        parts: list[float] = []
        if self.tag_rows:
            parts.append(len(self.tag_rows) * (self.badge_h + self.gap) - self.gap)
        if self.allergy_lines:
            parts.append(len(self.allergy_lines) * self.allergy_lh + 2 * self.gap)
        if self.line_rows:
            parts.append(self.heading_h + len(self.line_rows) * self.line_lh)
        return parts

    def height(self) -> float:
        parts = self.heights()
        return sum(parts) + 2.5 * self.scale * max(0, len(parts) - 1)


def _badge_text(tag: SignTag, words: SignWords) -> str:
    return f"{tag.text}{words.detail_sep}{tag.detail}" if tag.detail else tag.text


def _flow(badges: Sequence[_Badge], width: float, gap: float) -> list[tuple[_Badge, ...]]:
    rows: list[list[_Badge]] = []
    used = 0.0
    for badge in badges:
        if rows and used + gap + badge.width <= width:
            rows[-1].append(badge)
            used += gap + badge.width
        else:
            rows.append([badge])
            used = badge.width
    return [tuple(r) for r in rows]


def _line_row(c: _Canvas, line: SignLine, words: SignWords, size: float, width: float) -> str:
    """A sign's line row, "PICC 置管 11月20日 · 化疗", cut to `width`: the name and purpose
    give way, the insertion date is never cut."""
    when = f" {words.inserted} {words.date(line.inserted)}"
    row = c.truncate(line.name, size, max(width - c.width(when, size), 0)) + when
    if not line.purpose:
        return row
    with_purpose = row + words.sep + line.purpose
    if c.width(row + words.sep + line.purpose[:2] + "…", size) > width:
        return row  # not even the start of the purpose fits
    return c.truncate(with_purpose, size, width)


def _plan_middle(
    c: _Canvas,
    sign: BedSign,
    words: SignWords,
    width: float,
    avail: float,
    scale: float,
    *,
    truncate: bool,
) -> _Middle | None:
    """Measure the middle at `scale`; None if it needs more than `avail` mm and truncation
    is off. With truncation, tags and allergies win the space and lines give way first."""
    probe = _Middle(scale, (), (), ())
    font, pad = probe.badge_font, probe.badge_font * 0.55

    def badge(text: str, fill: str) -> _Badge:
        text = c.truncate(text, font, width - 2 * pad, bold=True)
        return _Badge(text, fill, c.width(text, font, bold=True) + 2 * pad)

    badges = [badge(_badge_text(t, words), t.colour) for t in sign.tags]
    tag_rows = _flow(badges, width, probe.gap)
    allergy_lines: list[str] = []
    if sign.allergies is not None:
        label_w = c.width(words.allergy, probe.allergy_font, bold=True) + 2 * pad
        allergy_lines = c.wrap(
            sign.allergies,
            probe.allergy_font,
            width - label_w - 3 * pad,
            bold=True,
            max_lines=3,
        )
    rows = [_line_row(c, ln, words, probe.line_font, width) for ln in sign.lines]
    plan = _Middle(scale, tuple(tag_rows), tuple(allergy_lines), tuple(rows))
    if plan.height() <= avail:
        return plan
    if not truncate:
        return None

    # Lines give way first: keep at least one row ("…另N条") while tags are trimmed.
    keep_lines = min(1, len(rows))
    trimmed = _Middle(scale, plan.tag_rows, plan.allergy_lines, tuple(rows[:keep_lines]))
    if trimmed.height() > avail and sign.tags:
        for shown in range(len(badges) - 1, -1, -1):
            more = badge(words.more_tags.format(n=len(badges) - shown), _MORE_FILL)
            flowed = tuple(_flow([*badges[:shown], more], width, probe.gap))
            trimmed = _Middle(scale, flowed, plan.allergy_lines, tuple(rows[:keep_lines]))
            if trimmed.height() <= avail:
                break
    for shown in range(len(rows), -1, -1):
        visible = rows[:shown]
        if shown < len(rows):
            # The last visible slot becomes the count of the rest.
            visible = rows[: max(shown - 1, 0)]
            visible.append(words.more_lines.format(n=len(rows) - len(visible)))
        candidate = _Middle(scale, trimmed.tag_rows, trimmed.allergy_lines, tuple(visible))
        if candidate.height() <= avail or not visible:
            return candidate
    return trimmed  # pragma: no cover - the loop always returns


def _draw_sign(sign: BedSign, words: SignWords, dpi: int) -> Image.Image:
    w, h = SIGN_SIZE_MM
    c = _Canvas(w, h, dpi)
    x0, x1 = _MARGIN, w - _MARGIN
    width = x1 - x0
    c.rect(
        (_FRAME_INSET, _FRAME_INSET, w - _FRAME_INSET, h - _FRAME_INSET),
        outline=_GREY,
        line_mm=0.3,
        radius_mm=3.0,
    )

    # Header: ward name, and what the card is.
    title = c.truncate(words.title, 3.2, 30)
    title_w = c.width(title, 3.2)
    c.text(x1 - title_w, 9.0, title, 3.2, _GREY)
    c.text(x0, 9.0, c.truncate(sign.ward_name, 3.6, width - title_w - 4), 3.6, _GREY)
    c.hline(x0, x1, 11.2, _GREY, 0.25)

    # Bed number (the largest thing on the card), masked name, sex and age.
    bed = words.bed.format(bed=sign.bed_label)
    bed_w_max = 50.0
    bed_size = c.fit_size(bed, bed_w_max, 19.0, 7.0, bold=True)
    bed = c.truncate(bed, bed_size, bed_w_max, bold=True)
    c.text(x0 - 0.4, 30.5, bed, bed_size, bold=True)
    name_x = x0 + min(c.width(bed, bed_size, bold=True), bed_w_max) + 4.0
    name_w = x1 - name_x
    name_size = c.fit_size(sign.masked_name, name_w, 8.0, 5.0, bold=True)
    c.text(
        name_x,
        22.0,
        c.truncate(sign.masked_name, name_size, name_w, bold=True),
        name_size,
        bold=True,
    )
    who = words.sep.join(p for p in (sign.sex, sign.age) if p)
    c.text(name_x, 30.0, c.truncate(who, 5.0, name_w), 5.0)

    # Nursing level: a band in the level colour, always with its text.
    top = 34.5
    if sign.nursing_level:
        band = (x0, top, x1, top + 9.0)
        c.rect(band, fill=sign.level_colour, outline=_INK, line_mm=0.35, radius_mm=1.2)
        size = c.fit_size(sign.nursing_level, width - 6, 5.6, 3.5, bold=True)
        c.text_centred(
            x0,
            x1,
            top + 4.5,
            c.truncate(sign.nursing_level, size, width - 6, bold=True),
            size,
            text_colour_for(sign.level_colour),
            bold=True,
        )
        top += 9.0 + 3.0

    # Bottom: QR, scan hint and print time.
    qr_y = h - _FRAME_INSET - _QR_QUIET - _QR_SIDE
    qr_x = _FRAME_INSET + _QR_QUIET
    c.qr(sign.deep_link, qr_x, qr_y, _QR_SIDE)
    col_x = qr_x + _QR_SIDE + _QR_QUIET
    col_w = x1 - col_x
    hint_size = 3.4
    hint = c.wrap(sign.scan_hint, hint_size, col_w, max_lines=5)
    y = qr_y + 1.0
    for text in hint:
        y += hint_size * 1.4
        c.text(col_x, y, text, hint_size)
    c.text(col_x, qr_y + _QR_SIDE - 0.5, c.truncate(sign.printed_at, 2.6, col_w), 2.6, _GREY)

    # Middle: tags, allergies, lines, shrunk and trimmed to the space left.
    bottom = qr_y - _QR_QUIET + 1.0
    avail = bottom - top
    plan: _Middle | None = None
    for scale in _SCALES:
        plan = _plan_middle(c, sign, words, width, avail, scale, truncate=False)
        if plan is not None:
            break
    if plan is None:
        plan = _plan_middle(c, sign, words, width, avail, _SCALES[-1], truncate=True)
    assert plan is not None
    _draw_middle(c, plan, words, x0, x1, top)
    return c.image


def _draw_middle(
    c: _Canvas, m: _Middle, words: SignWords, x0: float, x1: float, top: float
) -> None:
    y = top
    section_gap = 2.5 * m.scale
    if m.tag_rows:
        for row in m.tag_rows:
            x = x0
            for b in row:
                c.rect(
                    (x, y, x + b.width, y + m.badge_h),
                    fill=b.fill,
                    outline=_INK,
                    line_mm=0.35,
                    radius_mm=1.2,
                )
                c.text_centred(
                    x,
                    x + b.width,
                    y + m.badge_h / 2,
                    b.text,
                    m.badge_font,
                    text_colour_for(b.fill),
                    bold=True,
                )
                x += b.width + m.gap
            y += m.badge_h + m.gap
        y += section_gap - m.gap
    if m.allergy_lines:
        box_h = len(m.allergy_lines) * m.allergy_lh + 2 * m.gap
        pad = m.allergy_font * 0.55
        label_w = c.width(words.allergy, m.allergy_font, bold=True) + 2 * pad
        c.rect(
            (x0, y, x1, y + box_h), fill=_PAPER, outline=_ALLERGY_RED, line_mm=0.9, radius_mm=1.2
        )
        c.rect((x0, y, x0 + label_w, y + box_h), fill=_ALLERGY_RED, radius_mm=1.2)
        c.text_centred(
            x0,
            x0 + label_w,
            y + box_h / 2,
            words.allergy,
            m.allergy_font,
            text_colour_for(_ALLERGY_RED),
            bold=True,
        )
        ty = y + m.gap
        for text in m.allergy_lines:
            c.text(
                x0 + label_w + 1.5 * pad,
                ty + m.allergy_lh / 2 + 0.38 * m.allergy_font,
                text,
                m.allergy_font,
                _ALLERGY_RED,
                bold=True,
            )
            ty += m.allergy_lh
        y += box_h + section_gap
    if m.line_rows:
        heading = 3.2 * m.scale
        c.text(x0, y + heading, words.lines, heading, _GREY)
        c.hline(x0 + c.width(words.lines, heading) + 1.5, x1, y + heading * 0.62, _GREY, 0.2)
        y += m.heading_h
        for text in m.line_rows:
            c.text(x0, y + m.line_lh / 2 + 0.38 * m.line_font, text, m.line_font)
            y += m.line_lh


# ----------------------------------------------------------------------------- line label


def _draw_line_label(
    line: SignLine, bed_label: str, masked_name: str, words: SignWords, dpi: int
) -> Image.Image:
    w, h = LABEL_SIZE_MM
    c = _Canvas(w, h, dpi)
    inset = 1.2
    box = (inset, inset, w - inset, h - inset)
    route = words.external if line.external else words.iv
    if line.external:
        # External use: dashed border and an outlined route box, so it never passes for IV.
        c.dashed_box(box, _INK, 0.8, 2.2)
    else:
        # IV: a solid double border and a filled route box.
        c.rect(box, outline=_INK, line_mm=0.8)
        c.rect(
            (inset + 1.4, inset + 1.4, w - inset - 1.4, h - inset - 1.4),
            outline=_INK,
            line_mm=0.25,
        )
    x0, x1 = 4.0, w - 4.0
    width = x1 - x0
    y = 4.0
    route_size = 3.8
    route_w = c.width(route, route_size, bold=True) + 2.0
    route_box = (x0, y, x0 + route_w, y + 6.0)
    if line.external:
        c.rect(route_box, fill=_PAPER, outline=_INK, line_mm=0.5)
        c.text_centred(route_box[0], route_box[2], y + 3.0, route, route_size, _INK, bold=True)
    else:
        c.rect(route_box, fill=_INK)
        c.text_centred(route_box[0], route_box[2], y + 3.0, route, route_size, _PAPER, bold=True)
    # The line's type is what a nurse looks for first: it gets the whole first row.
    name_x = route_box[2] + 1.8
    name_w = x1 - name_x
    name_size = c.fit_size(line.name, name_w, 4.8, 3.2, bold=True)
    c.text(
        name_x,
        y + 3.0 + 0.38 * name_size,
        c.truncate(line.name, name_size, name_w, bold=True),
        name_size,
        bold=True,
    )

    size = 3.3
    due = due_date(line.inserted, line.dwell_limit_days)
    if line.dwell_limit_days is None or due is None:
        limit = f"{words.dwell_limit} {words.no_limit}"
    else:
        n = line.dwell_limit_days
        # Cannula limits are stated in hours (72 / 96 h); longer ones in days.
        span = words.hours.format(n=n * 24) if n <= 4 else words.days.format(n=n)
        when = words.date(due, long=due.year != line.inserted.year)
        limit = f"{words.dwell_limit} {span} / {words.until.format(date=when)}"
    y = 11.0 + size * 1.45
    inserted = f"{words.inserted} {words.date(line.inserted)}"
    c.text(x0, y, inserted, size)
    # Bed and masked name share the insertion row, right-aligned and grey.
    who_x = x0 + c.width(inserted, size) + 3.0
    who = " ".join(p for p in (words.bed.format(bed=bed_label), masked_name) if p)
    who = c.truncate(who, 3.0, x1 - who_x)
    c.text(x1 - c.width(who, 3.0), y, who, 3.0, _GREY)
    rows = [limit] + ([f"{words.purpose}{line.purpose}"] if line.purpose else [])
    for text in rows:
        y += size * 1.45
        # Dates must print whole: shrink the row before anything is cut.
        fitted = c.fit_size(text, width, size, 2.4)
        c.text(x0, y, c.truncate(text, fitted, width), fitted)
    return c.image


# ----------------------------------------------------------------------------- encoding


def _check_dpi(dpi: int) -> None:
    if not 100 <= dpi <= 600:
        raise ValueError("dpi must be between 100 and 600")


def _png(image: Image.Image, dpi: int) -> bytes:
    # A 256-colour palette loses nothing visible on flat fills and anti-aliased text, and
    # makes the PNG (and the PDF built from it) several times smaller than RGB.
    paletted = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    paletted.save(buf, "PNG", dpi=(dpi, dpi), compress_level=6)
    return buf.getvalue()


def render_sign_png(sign: BedSign, *, dpi: int = 300, words: SignWords = SIGN_WORDS_ZH) -> bytes:
    """The bedside sign as an A6 portrait PNG at `dpi` (the PNG records it for printing)."""
    _check_dpi(dpi)
    return _png(_draw_sign(sign, words, dpi), dpi)


def render_line_label_png(
    line: SignLine,
    *,
    bed_label: str,
    masked_name: str,
    dpi: int = 300,
    words: SignWords = SIGN_WORDS_ZH,
) -> bytes:
    """A 60 × 30 mm line label: route (静脉 / 外用), type, insertion date, limit, purpose."""
    _check_dpi(dpi)
    return _png(_draw_line_label(line, bed_label, masked_name, words, dpi), dpi)


@dataclass(frozen=True, slots=True)
class _PngImage:
    width: int
    height: int
    bits: int
    colours: int  # samples per pixel
    palette: bytes | None
    data: bytes  # concatenated IDAT: a zlib stream with PNG row filters


def _parse_png(png: bytes) -> _PngImage:
    # PNG's IDAT is exactly a PDF FlateDecode stream with PNG predictors, so the image
    # goes into the PDF without decoding or recompressing.
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, palette = 8, bytearray(), None
    width = height = bits = colour_type = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, bits, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if interlace:
                raise ValueError("interlaced PNG")
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"IDAT":
            idat += body
    colours = {0: 1, 2: 3, 3: 1}.get(colour_type)
    if colours is None:
        raise ValueError(f"unsupported PNG colour type {colour_type}")
    return _PngImage(
        width, height, bits, colours, palette if colour_type == 3 else None, bytes(idat)
    )


class _Pdf:
    """A minimal PDF 1.4 writer: pages of images placed in millimetres, and rules."""

    def __init__(self) -> None:
        self._objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
        self._pages: list[int] = []

    def _add(self, body: bytes) -> int:
        self._objects.append(body)
        return len(self._objects)

    def _image(self, png: bytes) -> int:
        img = _parse_png(png)
        if img.palette is not None:
            colour_space = (
                f"[/Indexed /DeviceRGB {len(img.palette) // 3 - 1} <{img.palette.hex()}>]"
            )
        else:
            colour_space = "/DeviceRGB" if img.colours == 3 else "/DeviceGray"
        head = (
            f"<< /Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
            f"/ColorSpace {colour_space} /BitsPerComponent {img.bits} /Filter /FlateDecode "
            f"/DecodeParms << /Predictor 15 /Colors {img.colours} "
            f"/BitsPerComponent {img.bits} /Columns {img.width} >> /Length {len(img.data)} >>"
        )
        return self._add(head.encode() + b"\nstream\n" + img.data + b"\nendstream")

    def page(
        self,
        size_mm: tuple[float, float],
        images: Sequence[tuple[bytes, tuple[float, float, float, float]]],
        drawing: str = "",
    ) -> None:
        """A page holding PNGs at (x, y-from-top, width, height) mm, then `drawing`
        (PDF operators, in points from the bottom left)."""
        pt = 72 / 25.4
        page_w, page_h = size_mm[0] * pt, size_mm[1] * pt
        names, ops = [], []
        for i, (png, (x, y, w, h)) in enumerate(images):
            ref = self._image(png)
            names.append(f"/Im{i} {ref} 0 R")
            bottom = size_mm[1] - y - h
            ops.append(
                f"q {w * pt:.3f} 0 0 {h * pt:.3f} {x * pt:.3f} {bottom * pt:.3f} cm /Im{i} Do Q"
            )
        ops.append(drawing)
        content = "\n".join(ops).encode()
        packed = zlib.compress(content, 9)
        contents = self._add(
            f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )
        self._pages.append(
            self._add(
                (
                    f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.3f} {page_h:.3f}] "
                    f"/Resources << /XObject << {' '.join(names)} >> >> "
                    f"/Contents {contents} 0 R >>"
                ).encode()
            )
        )

    def to_bytes(self) -> bytes:
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        self._objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode()
        info = self._add(b"<< /Producer (WardBoard) /Title (WardBoard bedside signs) >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self._objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self._objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        out += (
            f"trailer\n<< /Size {len(self._objects) + 1} /Root 1 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)


def _cut_marks() -> str:
    """Cut guides for a 2 × 2 sheet of A6 on A4: dashed grey lines along both cuts, solid
    ticks where they meet the sheet edge and at the centre cross."""
    pt = 72 / 25.4
    w, h = _A4_MM[0] * pt, _A4_MM[1] * pt
    cx, cy = w / 2, h / 2
    tick = 6 * pt
    return "\n".join(
        [
            "q 0.45 G 0.4 w [3 3] 0 d",
            f"{cx:.3f} 0 m {cx:.3f} {h:.3f} l S",
            f"0 {cy:.3f} m {w:.3f} {cy:.3f} l S",
            "[] 0 d 0 G 0.6 w",
            f"{cx:.3f} 0 m {cx:.3f} {tick:.3f} l S",
            f"{cx:.3f} {h - tick:.3f} m {cx:.3f} {h:.3f} l S",
            f"0 {cy:.3f} m {tick:.3f} {cy:.3f} l S",
            f"{w - tick:.3f} {cy:.3f} m {w:.3f} {cy:.3f} l S",
            f"{cx - tick / 2:.3f} {cy:.3f} m {cx + tick / 2:.3f} {cy:.3f} l S",
            f"{cx:.3f} {cy - tick / 2:.3f} m {cx:.3f} {cy + tick / 2:.3f} l S",
            "Q",
        ]
    )


def _chunks(items: Sequence[BedSign], size: int) -> Iterator[Sequence[BedSign]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def render_sign_pdf(sign: BedSign, *, dpi: int = 300, words: SignWords = SIGN_WORDS_ZH) -> bytes:
    """One sign as a one-page A6 PDF."""
    _check_dpi(dpi)
    pdf = _Pdf()
    pdf.page(SIGN_SIZE_MM, [(_png(_draw_sign(sign, words, dpi), dpi), (0.0, 0.0, *SIGN_SIZE_MM))])
    return pdf.to_bytes()


def render_signs_pdf(
    signs: Sequence[BedSign], *, dpi: int = 300, words: SignWords = SIGN_WORDS_ZH
) -> bytes:
    """A print-ready sheet for a ward: A4 pages of four A6 signs (2 × 2) with cut marks.

    The signs sit edge to edge, true A6 size; each keeps 5 mm of white inside its edge, so
    a printer's unprintable margin (at most ~4.2 mm) clips nothing.
    """
    _check_dpi(dpi)
    if not signs:
        raise ValueError("no signs to print")
    sw, sh = SIGN_SIZE_MM
    top = (_A4_MM[1] - 2 * sh) / 2  # 0.5 mm spare above and below
    slots = [(0.0, top), (sw, top), (0.0, top + sh), (sw, top + sh)]
    pdf = _Pdf()
    for group in _chunks(signs, 4):
        placed = [
            (_png(_draw_sign(sign, words, dpi), dpi), (x, y, sw, sh))
            for sign, (x, y) in zip(group, slots, strict=False)
        ]
        pdf.page(_A4_MM, placed, _cut_marks())
    return pdf.to_bytes()

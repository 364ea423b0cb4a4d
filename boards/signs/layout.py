"""The A6 bedside sign laid out: header, bed and name, level band, badges, allergies, lines, QR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from boards.signs.canvas import Canvas
from boards.signs.colour import GREY, INK, PAPER, text_colour_for
from boards.signs.content import BedSign, SignLine, SignTag, SignWords

__all__ = ["SIGN_SIZE_MM", "draw_sign"]

SIGN_SIZE_MM = (105.0, 148.0)  # A6 portrait

_ALLERGY_RED = "#C62828"
_MORE_FILL = "#E0E0E0"

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


def _line_row(c: Canvas, line: SignLine, words: SignWords, size: float, width: float) -> str:
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
    c: Canvas,
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


def draw_sign(sign: BedSign, words: SignWords, dpi: int) -> Image.Image:
    w, h = SIGN_SIZE_MM
    c = Canvas(w, h, dpi)
    x0, x1 = _MARGIN, w - _MARGIN
    width = x1 - x0
    c.rect(
        (_FRAME_INSET, _FRAME_INSET, w - _FRAME_INSET, h - _FRAME_INSET),
        outline=GREY,
        line_mm=0.3,
        radius_mm=3.0,
    )

    # Header: ward name, and what the card is.
    title = c.truncate(words.title, 3.2, 30)
    title_w = c.width(title, 3.2)
    c.text(x1 - title_w, 9.0, title, 3.2, GREY)
    c.text(x0, 9.0, c.truncate(sign.ward_name, 3.6, width - title_w - 4), 3.6, GREY)
    c.hline(x0, x1, 11.2, GREY, 0.25)

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
        c.rect(band, fill=sign.level_colour, outline=INK, line_mm=0.35, radius_mm=1.2)
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
    c.text(col_x, qr_y + _QR_SIDE - 0.5, c.truncate(sign.printed_at, 2.6, col_w), 2.6, GREY)

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
    c: Canvas, m: _Middle, words: SignWords, x0: float, x1: float, top: float
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
                    outline=INK,
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
            (x0, y, x1, y + box_h), fill=PAPER, outline=_ALLERGY_RED, line_mm=0.9, radius_mm=1.2
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
        c.text(x0, y + heading, words.lines, heading, GREY)
        c.hline(x0 + c.width(words.lines, heading) + 1.5, x1, y + heading * 0.62, GREY, 0.2)
        y += m.heading_h
        for text in m.line_rows:
            c.text(x0, y + m.line_lh / 2 + 0.38 * m.line_font, text, m.line_font)
            y += m.line_lh

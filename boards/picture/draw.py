"""The board picture drawn for a 1920x1080 station screen: header, bed map, lists, legend."""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from boards.memo import patient_text_cache
from boards.picture.model import Badge, BedCell, BoardPicture, PictureReport, Section
from boards.signs.canvas import Canvas
from boards.signs.colour import INK, PAPER, text_colour_for

__all__ = ["SCREEN", "cell_boxes", "draw_board", "forget_badges", "render_board_png"]

SCREEN = (1920, 1080)
_DPI = 96  # what the PNG records; the canvas itself is measured in pixels

_BACKGROUND = "#DDE3E8"
_HEADER = "#1F2A30"
_HEADING = "#37474F"
_MUTED = "#5F6B73"
_EMPTY_FILL = "#F3F5F6"
_EMPTY_LINE = "#8A959C"
_NO_LEVEL = "#FFFFFF"
_MORE_FILL = "#CFD8DC"

_MARGIN = 16
_GAP = 6
_HEADER_H = 112
_LEGEND_H = 46
_MAP_RIGHT = 1440
_PANEL_LEFT = 1456

# A cell at scale 1: what a 60-bed ward gets in ten columns of six rows.
_BASE_W = 136.0
_BASE_H = 142.0
_MAX_SCALE = 1.6
_MIN_NAME_PX = 17.0


class _Pixels(Canvas):
    """The sign canvas measured in pixels instead of millimetres (one unit, one pixel),
    with text widths remembered: the layout measures the same words again and again."""

    def __init__(self, width: int, height: int, back: str = PAPER) -> None:
        self.k = 1.0
        self.image = Image.new("RGB", (width, height), back)
        self.draw = ImageDraw.Draw(self.image)

    def width(self, text: str, size_mm: float, *, bold: bool = False) -> float:
        return _width(_drawable(text), size_mm, bold)

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        size_mm: float,
        fill: str = INK,
        *,
        bold: bool = False,
        anchor: str = "ls",
    ) -> None:
        super().text(x, baseline, _drawable(text), size_mm, fill, bold=bold, anchor=anchor)


_MEASURE = Canvas(1, 1, dpi=254)
_MISSING = "□"  # stands for a character the shipped font has no glyph for (an emoji...)


def _mask(ch: str) -> bytes:
    font, _ = _MEASURE._font_and_stroke(4.8, False)
    return bytes(font.getmask(ch))


@functools.lru_cache(maxsize=8192)
def _has_glyph(ch: str) -> bool:
    # The font draws its .notdef box for what it lacks; a private-use code point has none.
    return ch.isspace() or _mask(ch) != _mask("\U000f0000")


@patient_text_cache(maxsize=4096)
def _drawable(text: str) -> str:
    """`text` with every character the font cannot draw shown as a plain box."""
    return "".join(ch if _has_glyph(ch) else _MISSING for ch in text)


@patient_text_cache(maxsize=8192)
def _width(text: str, size: float, bold: bool) -> float:
    # A 254-dpi canvas measures in tenths of a millimetre: ten units a millimetre.
    return Canvas.width(_MEASURE, text, size / 10, bold=bold) * 10


@functools.lru_cache(maxsize=256)
def _ink(fill: str) -> str:
    return text_colour_for(fill)


@dataclass(slots=True)
class _Notes:
    """What had to be shortened, in the order it was met."""

    items: list[str]

    def add(self, what: str) -> None:
        self.items.append(what)


def _grid(count: int, width: float, height: float) -> tuple[int, int, float]:
    """The columns, rows and scale that give the largest cells for `count` beds."""
    best = (1, max(count, 1), 0.0)
    for cols in range(1, max(count, 1) + 1):
        rows = math.ceil(max(count, 1) / cols)
        cw = (width - (cols - 1) * _GAP) / cols
        ch = (height - (rows - 1) * _GAP) / rows
        scale = min(cw / _BASE_W, ch / _BASE_H)
        if scale > best[2]:
            best = (cols, rows, scale)
    return best


def _shrink(c: Canvas, text: str, avail: float, size: float, smallest: float) -> float:
    """The largest size from `size` down to `smallest` (half-pixel steps) that fits."""
    size = c.fit_size(text, avail, size, smallest)
    while size > smallest and c.width(text, size) > avail:
        size = max(smallest, size - 0.5)
    return size


def _bold(size: float) -> bool:
    # The stroke that makes bold fills small ideographs in: small badges stay regular.
    return size >= 20


def _badge_width(c: Canvas, badge: Badge, size: float, pad: float) -> float:
    return c.width(badge.text, size, bold=_bold(size)) + 2 * pad


@patient_text_cache(maxsize=2048)
def _badge_image(text: str, fill: str, w: float, h: float, size: float, back: str) -> Image.Image:
    """One badge drawn once: a ward's board repeats the same few badges in many cells."""
    c = _Pixels(math.ceil(w) + 1, math.ceil(h) + 1, back)
    ink = _ink(fill)
    c.rect(
        (0, 0, w, h), fill=fill, outline=INK if ink == INK else None, line_mm=1, radius_mm=h * 0.2
    )
    c.text_centred(0, w, h / 2, text, size, ink, bold=_bold(size))
    return c.image


def forget_badges() -> None:
    """Draw every badge afresh (for tests that watch each string handed to Pillow)."""
    _badge_image.cache_clear()


def _draw_badge(
    c: Canvas,
    badge: Badge,
    x: float,
    y: float,
    h: float,
    size: float,
    pad: float,
    back: str = PAPER,
) -> float:
    w = _badge_width(c, badge, size, pad)
    c.image.paste(_badge_image(badge.text, badge.colour, w, h, size, back), (round(x), round(y)))
    return w


def _place(
    c: Canvas,
    badges: list[Badge],
    box: tuple[float, float, float, float],
    h: float,
    size: float,
) -> list[tuple[Badge, float, float]] | None:
    """Badges left to right in rows inside `box`, or None when they do not all fit."""
    x0, y0, x1, y1 = box
    pad, gap = size * 0.3, max(2.0, size * 0.2)
    x, y = x0, y0
    placed = []
    for badge in badges:
        w = _badge_width(c, badge, size, pad)
        if x + w > x1 and x > x0:
            x, y = x0, y + h + gap
        if y + h > y1:
            return None
        placed.append((badge, x, y))
        x += w + gap
    return placed


def _flow(
    c: Canvas,
    badges: list[Badge],
    box: tuple[float, float, float, float],
    h: float,
    size: float,
    notes: _Notes,
    where: str,
) -> None:
    """Draw the badges that fit; the rest become one "+N" badge at the end."""
    placed = _place(c, badges, box, h, size)
    keep = len(badges)
    while placed is None and keep > 0:
        keep -= 1
        placed = _place(
            c, [*badges[:keep], Badge(f"+{len(badges) - keep}", _MORE_FILL)], box, h, size
        )
    if keep < len(badges):
        notes.add(f"{where}: {len(badges) - keep} badges")
    pad = size * 0.3
    width = box[2] - box[0]
    for badge, bx, by in placed or ():
        if _badge_width(c, badge, size, pad) > width:
            notes.add(f"{where}: badge {badge.text}")
            badge = Badge(
                c.truncate(badge.text, size, width - 2 * pad, bold=_bold(size)), badge.colour
            )
        _draw_badge(c, badge, bx, by, h, size, pad)


def _draw_cell(
    c: Canvas,
    cell: BedCell,
    box: tuple[float, float, float, float],
    s: float,
    alert: str,
    notes: _Notes,
) -> None:
    x0, y0, x1, y1 = box
    pad = 6 * s
    band_h = 29 * s
    where = f"bed {cell.bed}"
    if cell.empty:
        c.rect(box, fill=_EMPTY_FILL)
        c.dashed_box(box, _EMPTY_LINE, max(1.0, 2 * s), 8 * s)
        c.text(x0 + pad, y0 + band_h - 6 * s, cell.bed, 24 * s, _EMPTY_LINE, bold=True)
        c.text_centred(x0, x1, (y0 + band_h + y1) / 2, cell.empty_text, 22 * s, _EMPTY_LINE)
        return
    c.rect(box, fill=PAPER)
    level_fill = cell.level.colour if cell.level else _NO_LEVEL
    ink = _ink(level_fill)
    c.rect((x0, y0, x1, y0 + band_h), fill=level_fill)
    if cell.level is None:
        c.hline(x0, x1, y0 + band_h, _EMPTY_LINE, max(1.0, s))
    c.text(x0 + pad, y0 + band_h - 4 * s, cell.bed, 26 * s, ink, bold=True)
    if cell.level is not None:
        c.text(x1 - pad, y0 + band_h - 6 * s, cell.level.text, 18 * s, ink, anchor="rs")
    frame = 5 * s if cell.critical else max(1.0, s)
    c.rect(box, outline=cell.critical.colour if cell.critical else _EMPTY_LINE, line_mm=frame)

    y = y0 + band_h + 4 * s
    name, avail = cell.name or "", x1 - x0 - 2 * pad
    size = _shrink(c, name, avail, 26 * s, _MIN_NAME_PX * s)
    if c.width(name, size) > avail:
        name = c.truncate(name, size, avail)
        notes.add(f"{where}: name")
    c.text(x0 + pad, y + 23 * s, name, size, INK)
    y += 30 * s
    if cell.surgery:
        text = cell.surgery
        size = _shrink(c, text, avail, 19 * s, 15 * s)  # 明天 08:00 may take a smaller size
        if c.width(text, size) > avail:
            text = c.truncate(text, size, avail)
            notes.add(f"{where}: surgery")
        c.text(x0 + pad, y + 18 * s, text, size, INK)
        y += 24 * s
    marks = [Badge(f"⚠{line}", alert) for line in cell.lines]
    if cell.overdue:
        marks.insert(0, Badge(f"⚠{cell.overdue}", alert))
    # Critical first: with the thick frame it is what the eye meets from across the room.
    badges = [*([cell.critical] if cell.critical else []), *marks, *cell.tags]
    if badges:
        _flow(
            c,
            badges,
            (x0 + pad, y + 2 * s, x1 - pad, y1 - 3 * s),
            23 * s,
            16 * s,
            notes,
            where,
        )


def _draw_header(c: Canvas, pic: BoardPicture, notes: _Notes) -> None:
    w, _ = SCREEN
    c.rect((0, 0, w, _HEADER_H), fill=_HEADER)
    updated_w = c.width(pic.updated, 26)
    title_w = w - 2 * _MARGIN - updated_w - 24
    size = c.fit_size(pic.title, title_w, 38, 26, bold=True)
    title = pic.title
    if c.width(title, size, bold=True) > title_w:
        title = c.truncate(title, size, title_w, bold=True)
        notes.add("title")
    c.text(_MARGIN, 50, title, size, PAPER, bold=True)
    c.text(w - _MARGIN, 50, pic.updated, 26, PAPER, anchor="rs")
    census = "　　".join(pic.census)
    size = c.fit_size(census, w - 2 * _MARGIN, 30, 20)
    if c.width(census, size) > w - 2 * _MARGIN:
        census = c.truncate(census, size, w - 2 * _MARGIN)
        notes.add("census")
    c.text(_MARGIN, 96, census, size, PAPER)


_MAP_BOX = (
    float(_MARGIN),
    float(_HEADER_H + 12),
    float(_MAP_RIGHT),
    float(SCREEN[1] - _LEGEND_H - 10),
)


def cell_boxes(count: int) -> list[tuple[float, float, float, float]]:
    """Where each of `count` beds is drawn (x0, y0, x1, y1 in pixels), in map order."""
    x0, y0, x1, y1 = _MAP_BOX
    cols, rows, _ = _grid(count, x1 - x0, y1 - y0)
    cw = (x1 - x0 - (cols - 1) * _GAP) / cols
    ch = (y1 - y0 - (rows - 1) * _GAP) / rows
    boxes = []
    for i in range(count):
        row, col = divmod(i, cols)
        bx, by = x0 + col * (cw + _GAP), y0 + row * (ch + _GAP)
        boxes.append((bx, by, bx + cw, by + ch))
    return boxes


def _draw_map(c: Canvas, pic: BoardPicture, notes: _Notes) -> tuple[int, int, float]:
    x0, y0, x1, y1 = _MAP_BOX
    if not pic.cells:
        c.text_centred(x0, x1, (y0 + y1) / 2, pic.no_beds, 30, _MUTED)
        return 0, 0, 1.0
    cols, rows, scale = _grid(len(pic.cells), x1 - x0, y1 - y0)
    s = min(scale, _MAX_SCALE)
    for cell, box in zip(pic.cells, cell_boxes(len(pic.cells)), strict=True):
        _draw_cell(c, cell, box, s, pic.alert_colour, notes)
    return cols, rows, scale


def _draw_legend(c: Canvas, pic: BoardPicture) -> None:
    y = SCREEN[1] - _LEGEND_H + 4
    x = float(_MARGIN)
    h, size = 30.0, 18.0
    for item in pic.legend.items:
        if item.colour == _EMPTY_FILL:
            w = c.width(item.text, size) + 16
            c.rect((x, y, x + w, y + h), fill=_EMPTY_FILL)
            c.dashed_box((x, y, x + w, y + h), _EMPTY_LINE, 2, 6)
            c.text_centred(x, x + w, y + h / 2, item.text, size, _EMPTY_LINE)
        else:
            w = _draw_badge(c, item, x, y, h, size, 8, _BACKGROUND)
        x += w + 10
        if x > _MAP_RIGHT:
            break


@dataclass(frozen=True, slots=True)
class _Block:
    section: Section
    entries: tuple[tuple[str, ...], ...]  # each entry wrapped to at most two lines


def _fit_sections(blocks: list[_Block], room: float, lh: float, head: float) -> list[int]:
    """How many entries of each section fit in `room`, shared out round-robin so every
    list shows its first entries before any shows its tenth."""

    def height(shown: list[int]) -> float:
        total = 0.0
        for block, k in zip(blocks, shown, strict=True):
            total += head + sum(len(e) for e in block.entries[:k]) * lh
            total += lh if k < len(block.entries) else 0.0
        return total

    shown = [0] * len(blocks)
    grew = True
    while grew:
        grew = False
        for i, block in enumerate(blocks):
            if shown[i] < len(block.entries):
                shown[i] += 1
                if height(shown) <= room:
                    grew = True
                else:
                    shown[i] -= 1
    return shown


def _draw_panel(c: Canvas, pic: BoardPicture, notes: _Notes) -> None:
    x0, y0 = _PANEL_LEFT, _HEADER_H + 12
    x1, y1 = SCREEN[0] - _MARGIN, SCREEN[1] - 10
    c.rect((x0, y0, x1, y1), fill=PAPER, radius_mm=6)
    size, lh, head_h, gap = 21.0, 28.0, 34.0, 12.0
    inner = x1 - x0 - 28
    blocks = []
    for section in pic.sections:
        if not section.lines:
            continue
        entries = []
        for i, entry_text in enumerate(section.lines):
            wrapped = tuple(c.wrap(entry_text, size, inner, max_lines=2))
            if wrapped[-1].endswith("…") and not entry_text.endswith("…"):
                notes.add(f"panel: {section.title} line {i + 1}")
            entries.append(wrapped)
        blocks.append(_Block(section, tuple(entries)))
    room = y1 - y0 - 16
    # Sections that cannot show even their heading and one line are left off.
    while blocks and len(blocks) * (head_h + gap + lh) > room:
        notes.add(f"panel: {blocks.pop().section.title} left off")
    shown = _fit_sections(blocks, room, lh, head_h + gap)
    y: float = y0 + 8
    for block, k in zip(blocks, shown, strict=True):
        fill = pic.alert_colour if block.section.urgent else _HEADING
        c.rect((x0 + 8, y, x1 - 8, y + head_h), fill=fill, radius_mm=4)
        c.text(x0 + 16, y + head_h - 9, block.section.title, 21, _ink(fill), bold=True)
        y += head_h + 4
        for entry in block.entries[:k]:
            for line in entry:
                c.text(x0 + 14, y + lh - 7, line, size, INK)
                y += lh
        left = len(block.entries) - k
        if left:
            c.text(x0 + 14, y + lh - 7, pic.more.format(n=left), size, _MUTED)
            notes.add(f"panel: {block.section.title} {left} lines")
            y += lh
        y += gap - 4


def draw_board(pic: BoardPicture) -> tuple[Image.Image, PictureReport]:
    """The board as a 1920x1080 image, and what had to be shortened to fit."""
    c = _Pixels(*SCREEN)
    c.rect((0, 0, SCREEN[0], SCREEN[1]), fill=_BACKGROUND)
    notes = _Notes([])
    _draw_header(c, pic, notes)
    cols, rows, scale = _draw_map(c, pic, notes)
    _draw_legend(c, pic)
    _draw_panel(c, pic, notes)
    return c.image, PictureReport(tuple(notes.items), cols, rows, round(scale, 3))


def render_board_png(pic: BoardPicture) -> tuple[bytes, PictureReport]:
    """The board as a PNG for the station screen, and the layout's report."""
    image, report = draw_board(pic)
    # Full colour, not the signs' 256-colour palette: a palette chosen per image would shift
    # every cell's colours when one patient's band adds a new one. About 440 kB; zlib
    # level 1 halves the encoding time and barely changes the size.
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(_DPI, _DPI), compress_level=1)
    return buf.getvalue(), report

"""The 60 × 30 mm line label: route (静脉 / 外用), type, insertion date, dwell limit, purpose."""

from __future__ import annotations

from PIL import Image

from boards.lines import due_date
from boards.signs.canvas import Canvas
from boards.signs.colour import GREY, INK, PAPER
from boards.signs.content import SIGN_WORDS_ZH, SignLine, SignWords
from boards.signs.png import check_dpi, encode_png

__all__ = ["LABEL_SIZE_MM", "render_line_label_png"]

LABEL_SIZE_MM = (60.0, 30.0)


def _draw_line_label(
    line: SignLine, bed_label: str, masked_name: str, words: SignWords, dpi: int
) -> Image.Image:
    w, h = LABEL_SIZE_MM
    c = Canvas(w, h, dpi)
    inset = 1.2
    box = (inset, inset, w - inset, h - inset)
    route = words.external if line.external else words.iv
    if line.external:
        # External use: dashed border and an outlined route box, so it never passes for IV.
        c.dashed_box(box, INK, 0.8, 2.2)
    else:
        # IV: a solid double border and a filled route box.
        c.rect(box, outline=INK, line_mm=0.8)
        c.rect(
            (inset + 1.4, inset + 1.4, w - inset - 1.4, h - inset - 1.4),
            outline=INK,
            line_mm=0.25,
        )
    x0, x1 = 4.0, w - 4.0
    width = x1 - x0
    y = 4.0
    route_size = 3.8
    route_w = c.width(route, route_size, bold=True) + 2.0
    route_box = (x0, y, x0 + route_w, y + 6.0)
    if line.external:
        c.rect(route_box, fill=PAPER, outline=INK, line_mm=0.5)
        c.text_centred(route_box[0], route_box[2], y + 3.0, route, route_size, INK, bold=True)
    else:
        c.rect(route_box, fill=INK)
        c.text_centred(route_box[0], route_box[2], y + 3.0, route, route_size, PAPER, bold=True)
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
    c.text(x1 - c.width(who, 3.0), y, who, 3.0, GREY)
    rows = [limit] + ([f"{words.purpose}{line.purpose}"] if line.purpose else [])
    for text in rows:
        y += size * 1.45
        # Dates must print whole: shrink the row before anything is cut.
        fitted = c.fit_size(text, width, size, 2.4)
        c.text(x0, y, c.truncate(text, fitted, width), fitted)
    return c.image


def render_line_label_png(
    line: SignLine,
    *,
    bed_label: str,
    masked_name: str,
    dpi: int = 300,
    words: SignWords = SIGN_WORDS_ZH,
) -> bytes:
    """A 60 × 30 mm line label: route (静脉 / 外用), type, insertion date, limit, purpose."""
    check_dpi(dpi)
    return encode_png(_draw_line_label(line, bed_label, masked_name, words, dpi), dpi)

"""A page in millimetres drawn with Pillow: the shipped CJK font, line breaking, boxes, QR."""

from __future__ import annotations

import atexit
import contextlib
import functools
import re
from importlib import resources

import qrcode
from PIL import Image, ImageDraw, ImageFont

from boards.fonts import font_path
from boards.signs.colour import INK, PAPER

__all__ = ["Canvas"]

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
                # (Popped first: `units[-2] += units.pop()` would store into the wrong slot.)
                space = units.pop()
                units[-1] += space
            units[-1] += piece
        elif units and units[-1][-1] in _OPENING:
            units[-1] += piece
        else:
            units.append(piece)
    return units


class Canvas:
    """A white page measured in millimetres; draws text with the shipped font."""

    def __init__(self, width_mm: float, height_mm: float, dpi: int) -> None:
        self.k = dpi / 25.4
        self.image = Image.new("RGB", (self.px(width_mm), self.px(height_mm)), PAPER)
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
        fill: str = INK,
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
                        fill=INK,
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

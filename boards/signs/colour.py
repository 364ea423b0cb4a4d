"""Colours on a sign: parsing, WCAG contrast, and ink that reads on screen and in grey print."""

from __future__ import annotations

import re

__all__ = ["GREY", "INK", "PAPER", "contrast_ratio", "rgb", "text_colour_for"]

INK = "#000000"
PAPER = "#FFFFFF"
GREY = "#4D4D4D"  # small print: still dark enough for a worn office laser printer


def rgb(colour: str) -> tuple[int, int, int]:
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

    r, g, b = rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#RRGGBB" colours, 1.0 to 21.0."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _printed_grey(colour: str) -> str:
    """The grey a black-and-white printer makes of `colour` (Rec. 601 luma, as Pillow's
    "L" conversion and most drivers do)."""
    r, g, b = rgb(colour)
    v = round(0.299 * r + 0.587 * g + 0.114 * b)
    return f"#{v:02X}{v:02X}{v:02X}"


def text_colour_for(fill: str) -> str:
    """Black or white, whichever reads better on `fill` both on screen (WCAG contrast) and
    printed in black and white (contrast with the fill's printed grey)."""

    def worst(ink: str) -> float:
        return min(contrast_ratio(fill, ink), contrast_ratio(_printed_grey(fill), ink))

    return INK if worst(INK) >= worst(PAPER) else PAPER

"""Drawn pages encoded as compact PNGs that record their DPI, and the sign as a PNG."""

from __future__ import annotations

import io

from PIL import Image

from boards.signs.content import SIGN_WORDS_ZH, BedSign, SignWords
from boards.signs.layout import draw_sign

__all__ = ["check_dpi", "encode_png", "render_sign_png"]


def check_dpi(dpi: int) -> None:
    if not 100 <= dpi <= 600:
        raise ValueError("dpi must be between 100 and 600")


def encode_png(image: Image.Image, dpi: int) -> bytes:
    # A 256-colour palette loses nothing visible on flat fills and anti-aliased text, and
    # makes the PNG (and the PDF built from it) several times smaller than RGB.
    paletted = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    paletted.save(buf, "PNG", dpi=(dpi, dpi), compress_level=6)
    return buf.getvalue()


def render_sign_png(sign: BedSign, *, dpi: int = 300, words: SignWords = SIGN_WORDS_ZH) -> bytes:
    """The bedside sign as an A6 portrait PNG at `dpi` (the PNG records it for printing)."""
    check_dpi(dpi)
    return encode_png(draw_sign(sign, words, dpi), dpi)

"""Bedside signs (床头卡) and line labels rendered to PNG and print-ready PDF, no messenger."""

from boards.signs.colour import contrast_ratio, text_colour_for
from boards.signs.content import (
    SIGN_WORDS_EN,
    SIGN_WORDS_TW,
    SIGN_WORDS_ZH,
    BedSign,
    SignLine,
    SignTag,
    SignWords,
)
from boards.signs.labels import LABEL_SIZE_MM, render_line_label_png
from boards.signs.layout import SIGN_SIZE_MM
from boards.signs.png import render_sign_png
from boards.signs.sheet import render_sign_pdf, render_signs_pdf

__all__ = [
    "LABEL_SIZE_MM",
    "SIGN_SIZE_MM",
    "SIGN_WORDS_EN",
    "SIGN_WORDS_TW",
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

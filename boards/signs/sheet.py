"""Print-ready PDFs: one A6 sign, or a ward's A4 sheets of four signs with cut marks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from boards.signs.content import SIGN_WORDS_ZH, BedSign, SignWords
from boards.signs.layout import SIGN_SIZE_MM, draw_sign
from boards.signs.pdf import Pdf
from boards.signs.png import check_dpi, encode_png

__all__ = ["render_sign_pdf", "render_signs_pdf"]

_A4_MM = (210.0, 297.0)


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
    check_dpi(dpi)
    pdf = Pdf()
    pdf.page(
        SIGN_SIZE_MM, [(encode_png(draw_sign(sign, words, dpi), dpi), (0.0, 0.0, *SIGN_SIZE_MM))]
    )
    return pdf.to_bytes()


def render_signs_pdf(
    signs: Sequence[BedSign], *, dpi: int = 300, words: SignWords = SIGN_WORDS_ZH
) -> bytes:
    """A print-ready sheet for a ward: A4 pages of four A6 signs (2 × 2) with cut marks.

    The signs sit edge to edge, true A6 size; each keeps 5 mm of white inside its edge, so
    a printer's unprintable margin (at most ~4.2 mm) clips nothing.
    """
    check_dpi(dpi)
    if not signs:
        raise ValueError("no signs to print")
    sw, sh = SIGN_SIZE_MM
    top = (_A4_MM[1] - 2 * sh) / 2  # 0.5 mm spare above and below
    slots = [(0.0, top), (sw, top), (0.0, top + sh), (sw, top + sh)]
    pdf = Pdf()
    for group in _chunks(signs, 4):
        placed = [
            (encode_png(draw_sign(sign, words, dpi), dpi), (x, y, sw, sh))
            for sign, (x, y) in zip(group, slots, strict=False)
        ]
        pdf.page(_A4_MM, placed, _cut_marks())
    return pdf.to_bytes()

"""Bedside signs and line labels: real QR decoding, real PDF rasterising, glyph coverage."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from importlib import resources
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from boards.fonts import FONT_FILES, FONT_SHA256, LICENSE_FILE, font_path
from boards.lines import DEFAULT_LINES
from boards.signs import (
    SIGN_WORDS_EN,
    SIGN_WORDS_ZH,
    BedSign,
    SignLine,
    SignTag,
    SignWords,
    render_line_label_png,
    render_sign_pdf,
    render_sign_png,
    render_signs_pdf,
)
from boards.tags import DEFAULT_TAGS

TAGS = {t.code: t for t in DEFAULT_TAGS}
MM_PER_INCH = 25.4


def _tag(code: str, detail: str | None = None) -> SignTag:
    return SignTag(TAGS[code].badge_zh, TAGS[code].colour, detail)


def make_sign(bed: str = "12", token: str = "Zx8kQm3vT1pL9rYw2sAa0b") -> BedSign:
    return BedSign(
        ward_name="普外科一病区",
        bed_label=bed,
        masked_name="张*三",
        sex="男",
        age="67岁",
        nursing_level="一级护理",
        level_colour="#E53935",
        tags=(
            _tag("fall"),
            _tag("allergy"),
            _tag("line_dislodgement"),
            _tag("nil_by_mouth", "自22:00起"),
            _tag("isolation_contact"),
        ),
        allergies="青霉素、头孢类、碘造影剂",
        lines=(
            SignLine("PICC", date(2025, 11, 20), 365, "化疗", external=False),
            SignLine("留置针", date(2025, 11, 22), 4, None, external=False),
            SignLine("腹腔引流管", date(2025, 11, 21), None, "术后引流", external=True),
        ),
        deep_link=f"https://t.me/WardBoardBot?start={token}",
        scan_hint="扫码查看患者卡片（仅本病区医护）· 不能替代腕带核对",
        printed_at="打印于 2025-11-23 14:30",
    )


def make_english_sign() -> BedSign:
    return dataclasses.replace(
        make_sign(),
        ward_name="General Surgery Ward 1",
        masked_name="J. S***",
        sex="M",
        age="67 y",
        nursing_level="Level 1 care",
        tags=(
            SignTag("FALL", TAGS["fall"].colour),
            SignTag("ALLERGY", TAGS["allergy"].colour),
            SignTag("NBM", TAGS["nil_by_mouth"].colour, "from 22:00"),
        ),
        allergies="Penicillin, cephalosporins",
        lines=(SignLine("Peripheral IV cannula", date(2025, 11, 22), 4, "antibiotics"),),
        scan_hint="Scan to open the patient card (ward staff only). Not a wristband check.",
        printed_at="Printed 23 Nov 2025 14:30",
    )


def make_long_sign() -> BedSign:
    """20 tags, 10 lines, a 40-character name and long everything else."""
    tags = tuple(
        SignTag(t.badge_zh, t.colour, "自22:00起" if t.code == "nil_by_mouth" else None)
        for t in DEFAULT_TAGS
    )
    tags = (tags * 2)[:20]
    lines = tuple(
        SignLine(
            f"胸腔闭式引流管第{i}根", date(2025, 11, 1 + i), 7, "术后引流观察" * 5, i % 2 == 0
        )
        for i in range(10)
    )
    return dataclasses.replace(
        make_sign(bed="+12", token="A" * 64),
        ward_name="普通外科第一病区（肝胆胰外科、胃肠外科、甲状腺乳腺外科）" * 2,
        masked_name="阿" * 40,
        nursing_level="特级护理（需持续监护）" * 4,
        tags=tags,
        allergies="青霉素、头孢类、碘造影剂、磺胺类、阿司匹林、布洛芬、花生、海鲜、乳胶" * 3,
        lines=lines,
        scan_hint="扫码查看患者卡片（仅本病区医护）· 不能替代腕带核对" * 4,
        printed_at="打印于 2025-11-23 14:30 由 某某某护士 在 护士站电脑 打印" * 2,
    )


def _decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def _open_png(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _mm(px: float, dpi: float) -> float:
    return px / dpi * MM_PER_INCH


def _pages(pdf: bytes, dpi: int = 200) -> Iterator[tuple[tuple[float, float], Image.Image]]:
    """Each page's size in mm and its rendering by PDFium (the engine in Chrome)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(doc)):
            page = doc[i]
            w, h = page.get_size()
            image = page.render(scale=dpi / 72).to_pil()
            yield (w / 72 * MM_PER_INCH, h / 72 * MM_PER_INCH), image
    finally:
        doc.close()


# ----------------------------------------------------------------------------- font


def test_font_file_matches_its_hash_and_is_simplified_chinese() -> None:
    for weight, name in FONT_FILES.items():
        data = font_path(weight).read_bytes()
        assert hashlib.sha256(data).hexdigest() == FONT_SHA256[weight]
        font = TTFont(io.BytesIO(data), lazy=True)
        names = font["name"]
        family = names.getDebugName(1)
        assert family is not None and family.endswith(" SC"), family
        # A Simplified-Chinese (PRC, 0x0804) name record, and the GB (cp936) code page.
        assert any(r.langID == 0x0804 and r.platformID == 3 for r in names.names)
        assert font["OS/2"].ulCodePageRange1 & (1 << 18)
        assert "Open Font License" in (names.getDebugName(13) or "")
        assert name.endswith(".otf")
    licence = (resources.files("boards.fonts") / LICENSE_FILE).read_text("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    with pytest.raises(ValueError, match="regular"):
        font_path("bold")


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    font = TTFont(io.BytesIO(font_path().read_bytes()), lazy=True)
    best = font.getBestCmap()
    assert best is not None
    return set(best)


@pytest.fixture
def drawn_text(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string the renderers hand to Pillow."""
    seen: list[str] = []
    original: Callable[..., None] = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(str(text))
        original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    return seen


def _missing(strings: list[str], cmap: set[int]) -> set[str]:
    return {ch for s in strings for ch in s if ord(ch) not in cmap}


def test_every_drawn_character_has_a_glyph(drawn_text: list[str], cmap: set[int]) -> None:
    sign = make_sign()
    render_sign_png(sign)
    render_sign_png(make_long_sign())
    render_sign_png(make_english_sign(), words=SIGN_WORDS_EN)
    for line in sign.lines:
        render_line_label_png(line, bed_label="12", masked_name="张*三")
        render_line_label_png(line, bed_label="12", masked_name="J. S***", words=SIGN_WORDS_EN)
    assert {"12床", "张*三", "一级护理", "防跌倒", "禁食：自22:00起", "过敏", "导管"} <= set(
        drawn_text
    )
    assert any("PICC 置管 11月20日" in s for s in drawn_text)
    assert _missing(drawn_text, cmap) == set()


def test_catalogue_and_renderer_words_have_glyphs(cmap: set[int]) -> None:
    strings = [s for t in DEFAULT_TAGS for s in (t.name_zh, t.name_en, t.badge_zh, t.badge_en)]
    strings += [s for k in DEFAULT_LINES for s in (k.name_zh, k.name_en, k.abbr)]
    for words in (SIGN_WORDS_ZH, SIGN_WORDS_EN):
        strings += [v for v in dataclasses.asdict(words).values() if isinstance(v, str)]
    strings += ["0123456789", "一级护理 二级护理 三级护理 特级护理", "男女", "岁月天"]
    assert _missing(strings, cmap) == set()


def test_pillow_draws_no_notdef_boxes() -> None:
    # The same check through Pillow itself: every character of a realistic sign renders
    # differently from the .notdef box the font draws for characters it lacks.
    with resources.as_file(font_path()) as path:
        font = ImageFont.truetype(str(path), 48)

    def glyph(ch: str) -> bytes:
        image = Image.new("L", (64, 64))
        ImageDraw.Draw(image).text((8, 56), ch, font=font, fill=255, anchor="ls")
        return image.tobytes()

    notdef = glyph("\U000f0000")  # a private-use code point: no glyph
    assert any(notdef), "the .notdef box is visible"
    text = "12床张*三男67岁一级护理防跌倒过敏青霉素头孢类PICC置管11月20日扫码查看（）·…：、"
    for ch in set(text):
        assert glyph(ch) != notdef, ch


# ----------------------------------------------------------------------------- sign PNG


def test_sign_png_is_a6_with_a_scannable_qr() -> None:
    sign = make_sign()
    image = _open_png(render_sign_png(sign))
    assert image.size == (1240, 1748)  # 105 × 148 mm at 300 dpi
    dpi = image.info["dpi"]
    assert round(dpi[0]) == 300
    codes = _decode(image)
    assert [c.text for c in codes] == [sign.deep_link]
    pos = codes[0].position
    width = max(abs(pos.top_right.x - pos.top_left.x), abs(pos.bottom_right.x - pos.bottom_left.x))
    assert _mm(width, 300) >= 30.0


@pytest.mark.parametrize("dpi", [150, 200, 600])
def test_sign_png_at_other_resolutions(dpi: int) -> None:
    sign = make_sign()
    image = _open_png(render_sign_png(sign, dpi=dpi))
    assert image.size == (round(105 * dpi / 25.4), round(148 * dpi / 25.4))
    assert [c.text for c in _decode(image)] == [sign.deep_link]


def _extrema(
    image: Image.Image, box_mm: tuple[float, float, float, float], dpi: int
) -> tuple[int, int]:
    """Darkest and lightest grey inside a box given in mm."""
    k = dpi / MM_PER_INCH
    x0, y0, x1, y1 = (round(v * k) for v in box_mm)
    lo, hi = image.convert("L").crop((x0, y0, x1, y1)).getextrema()
    assert isinstance(lo, int) and isinstance(hi, int)
    return lo, hi


def _white(image: Image.Image, box_mm: tuple[float, float, float, float], dpi: int) -> bool:
    return _extrema(image, box_mm, dpi)[0] >= 250


@pytest.mark.parametrize(
    "sign", [make_sign(), make_long_sign(), make_english_sign()], ids=["ward", "long", "en"]
)
def test_nothing_overflows(sign: BedSign) -> None:
    words = SIGN_WORDS_EN if sign.sex == "M" else SIGN_WORDS_ZH
    image = _open_png(render_sign_png(sign, words=words))
    # The strip between the content's right edge and the frame stays empty...
    assert _white(image, (100.6, 6.0, 102.0, 142.0), 300)
    # ...so does the QR's quiet zone above it, where the middle of the card would spill.
    assert _white(image, (3.0, 104.5, 102.0, 106.0), 300)
    assert [c.text for c in _decode(image)] == [sign.deep_link]


def test_long_sign_wraps_all_20_tags_and_condenses_lines(drawn_text: list[str]) -> None:
    sign = make_long_sign()
    render_sign_png(sign)
    more = [s for s in drawn_text if re.fullmatch(r"…另\d+条", s)]
    assert len(more) == 1
    assert sum("置管" in s for s in drawn_text) + int(more[0][2:-1]) == 10
    # 20 tags wrap onto several rows and all of them print (safety content comes first).
    assert {f"{t.text}：{t.detail}" if t.detail else t.text for t in sign.tags} <= set(drawn_text)
    assert not any(re.fullmatch(r"另\d+项", s) for s in drawn_text)
    assert not any("阿" * 40 in s for s in drawn_text)  # the name was cut to fit
    rows = [s for s in drawn_text if "置管" in s]
    assert rows and all(re.search(r"置管 11月\d+日", s) for s in rows)  # dates never cut


def test_too_many_tags_end_in_a_count(drawn_text: list[str]) -> None:
    sign = make_long_sign()
    sign = dataclasses.replace(sign, tags=sign.tags * 3, allergies=None)
    image = _open_png(render_sign_png(sign))
    more = [s for s in drawn_text if re.fullmatch(r"另\d+项", s)]
    assert len(more) == 1
    badges = {f"{t.text}：{t.detail}" if t.detail else t.text for t in sign.tags}
    shown = sum(s in badges for s in drawn_text)
    assert shown + int(more[0][1:-1]) == 60
    assert _white(image, (100.6, 6.0, 102.0, 142.0), 300)
    assert [c.text for c in _decode(image)] == [sign.deep_link]


def test_sign_without_optional_parts() -> None:
    sign = dataclasses.replace(
        make_sign(), tags=(), allergies=None, lines=(), nursing_level="", sex="", age=""
    )
    image = _open_png(render_sign_png(sign))
    assert [c.text for c in _decode(image)] == [sign.deep_link]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="RRGGBB"):
        render_sign_png(dataclasses.replace(make_sign(), level_colour="red"))
    with pytest.raises(ValueError, match="deep link"):
        render_sign_png(dataclasses.replace(make_sign(), deep_link=""))
    with pytest.raises(ValueError, match="dpi"):
        render_sign_png(make_sign(), dpi=30)
    with pytest.raises(ValueError, match="no signs"):
        render_signs_pdf([])
    with pytest.raises(ValueError, match="RRGGBB"):
        SignTag("防跌倒", "yellow")
    with pytest.raises(ValueError, match="positive"):
        SignLine("留置针", date(2025, 11, 20), 0)


def test_sign_words_format_dates() -> None:
    d = date(2025, 11, 20)
    assert SIGN_WORDS_ZH.date(d) == "11月20日"
    assert SIGN_WORDS_ZH.date(d, long=True) == "2025年11月20日"
    assert SIGN_WORDS_EN.date(d) == "20 Nov"
    assert SignWords(date_short="{d}/{m}").date(d) == "20/11"


def test_black_and_white_print_keeps_every_badge_readable() -> None:
    # Printed on a monochrome laser: text must still stand out from its badge.
    image = _open_png(render_sign_png(make_sign()))
    # The first tag row starts at y ≈ 46.5 mm; each badge has dark and light pixels.
    lo, hi = _extrema(image, (5, 47, 100, 54), 300)
    assert lo < 60 and hi > 200


# ----------------------------------------------------------------------------- PDF


def test_single_sign_pdf_is_one_a6_page() -> None:
    sign = make_sign()
    pdf = render_sign_pdf(sign)
    assert pdf.startswith(b"%PDF-1.4")
    pages = list(_pages(pdf))
    assert len(pages) == 1
    (w, h), image = pages[0]
    assert (round(w, 1), round(h, 1)) == (105.0, 148.0)
    assert [c.text for c in _decode(image)] == [sign.deep_link]


def test_ward_pdf_has_four_signs_per_a4_page_and_every_qr_decodes() -> None:
    signs = [make_sign(bed=str(n), token=f"tok{n:02d}_" + "x" * 18) for n in range(1, 8)]
    pdf = render_signs_pdf(signs)
    pages = list(_pages(pdf))
    assert len(pages) == 2
    found: list[str] = []
    for (w, h), image in pages:
        assert (round(w), round(h)) == (210, 297)
        found += sorted(c.text for c in _decode(image))
    assert sorted(found) == sorted(s.deep_link for s in signs)
    assert len(found) == 7


def test_ward_pdf_has_cut_marks() -> None:
    ((_, image),) = list(_pages(render_signs_pdf([make_sign()]), dpi=100))
    grey = image.convert("L")
    k = 100 / MM_PER_INCH
    # The vertical cut at 105 mm runs through the empty lower half of the page.
    column = [grey.getpixel((round(105 * k), y)) for y in range(round(160 * k), round(290 * k))]
    assert sum(1 for v in column if isinstance(v, int) and v < 200) > len(column) // 4


def test_pdf_is_deterministic() -> None:
    assert render_signs_pdf([make_sign()]) == render_signs_pdf([make_sign()])


# ----------------------------------------------------------------------------- line labels


def _label(line: SignLine, words: SignWords = SIGN_WORDS_ZH) -> Image.Image:
    return _open_png(render_line_label_png(line, bed_label="12", masked_name="张*三", words=words))


def test_line_label_size_and_words(drawn_text: list[str]) -> None:
    image = _label(SignLine("留置针", date(2025, 11, 20), 4, "补液"))
    assert image.size == (709, 354)  # 60 × 30 mm at 300 dpi
    assert "静脉" in drawn_text and "外用" not in drawn_text
    assert "留置期限 96小时 / 至11月24日" in drawn_text
    assert "置管 11月20日" in drawn_text
    assert "用途：补液" in drawn_text
    drawn_text.clear()
    _label(SignLine("PICC", date(2025, 11, 20), 365, None))
    assert "留置期限 365天 / 至2026年11月20日" in drawn_text
    drawn_text.clear()
    _label(SignLine("腹腔引流管", date(2025, 11, 20), None, "术后引流", external=True))
    assert "外用" in drawn_text and "静脉" not in drawn_text
    assert "留置期限 无固定期限" in drawn_text
    drawn_text.clear()
    _label(SignLine("PICC", date(2025, 11, 20), 365, None), SIGN_WORDS_EN)
    assert "IV" in drawn_text
    assert "Limit 365 days / until 20 Nov 2026" in drawn_text


def test_external_label_border_differs_from_iv_in_black_and_white() -> None:
    iv = _label(SignLine("留置针", date(2025, 11, 20), 4)).convert("L")
    ext = _label(SignLine("引流管", date(2025, 11, 20), None, external=True)).convert("L")
    k = 300 / MM_PER_INCH
    y = round(1.2 * k)  # the outer border line

    def dark_share(image: Image.Image) -> float:
        row = [image.getpixel((x, y)) for x in range(image.width)]
        return sum(1 for v in row if isinstance(v, int) and v < 128) / len(row)

    assert dark_share(iv) > 0.95  # solid
    assert 0.3 < dark_share(ext) < 0.7  # dashed


def test_long_line_label_fits() -> None:
    line = SignLine("胸腔闭式引流管" * 5, date(2025, 11, 20), 7, "术后引流观察" * 10, True)
    image = _open_png(render_line_label_png(line, bed_label="+12", masked_name="阿" * 40))
    assert image.size == (709, 354)
    # Nothing drawn in the white strip just inside the (dashed) right border.
    assert _white(image, (56.2, 3, 58.0, 27), 300)

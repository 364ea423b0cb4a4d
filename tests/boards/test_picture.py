"""The board picture: a 1920x1080 PNG, every character with a glyph, cells that fit and differ."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw

from boards.board_data import BedsideInfo, BedsideTag, BoardData
from boards.fonts import font_path
from boards.i18n import texts
from boards.masking import mask_name
from boards.model import (
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    PatientTag,
    Stay,
    Surgery,
    SurgeryState,
)
from boards.picture import (
    SCREEN,
    bed_labels,
    board_picture,
    cell_boxes,
    draw_board,
    forget_badges,
    render_board_png,
)
from boards.picture.sample import sample_board
from boards.schedule import BoardColours, PolicyError, WardPolicy
from boards.signs.colour import contrast_ratio, text_colour_for
from boards.tags import DEFAULT_TAGS

ZH = texts("zh_CN")
EN = texts("en")
TAGS = {t.code: t for t in DEFAULT_TAGS}


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    best = TTFont(io.BytesIO(font_path().read_bytes()), lazy=True).getBestCmap()
    assert best is not None
    return set(best)


@pytest.fixture
def drawn_text(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string the renderer hands to Pillow."""
    seen: list[str] = []
    original: Callable[..., None] = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(str(text))
        original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    forget_badges()  # badges are drawn once and reused: draw them again, to be seen
    return seen


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    x0, y0, x1, y1 = box
    return image.crop((round(x0), round(y0), round(x1), round(y1)))


def _index(data: BoardData, bed: str) -> int:
    return bed_labels(data).index(bed)


def _tidy(data: BoardData) -> BoardData:
    """The sample with at most two tags a bed: what a ward usually hangs."""
    bedside = {
        sid: dataclasses.replace(info, tags=info.tags[:2]) for sid, info in data.bedside.items()
    }
    return dataclasses.replace(data, bedside=bedside)


def test_a_sixty_bed_board_is_a_full_hd_png() -> None:
    data = sample_board(60)
    png, report = render_board_png(board_picture(data, ZH, private=False))
    image = _open(png)
    assert image.size == SCREEN == (1920, 1080)
    assert report.columns * report.rows >= 60
    assert (report.columns, report.rows) == (10, 6)
    # Readable from two metres: a cell is drawn at full size or larger.
    assert report.scale >= 1.0


def test_every_drawn_character_has_a_glyph(drawn_text: list[str], cmap: set[int]) -> None:
    data = sample_board(60)
    for t in (ZH, EN):
        for private in (True, False):
            draw_board(board_picture(data, t, private=private))
    missing = {ch for s in drawn_text for ch in s if ord(ch) not in cmap}
    assert missing == set()
    assert {"空床", "病危", "病重", "特级护理", "一级", "防跌倒", "⚠逾期2"} <= set(drawn_text)
    assert any("白板" in s for s in drawn_text) and any("Empty" in s for s in drawn_text)


def test_the_group_picture_masks_names_and_the_private_one_does_not(
    drawn_text: list[str],
) -> None:
    data = sample_board(60)
    names = {s.name for s in data.active}
    group, _ = draw_board(board_picture(data, ZH, private=False))
    in_group = set(drawn_text)
    drawn_text.clear()
    private, _ = draw_board(board_picture(data, ZH, private=True))
    in_private = set(drawn_text)
    assert not any(name in line for name in names for line in in_group)
    assert {mask_name(n) for n in names} <= in_group
    assert names <= in_private
    assert ImageChops.difference(group, private).getbbox() is not None


def test_a_sixty_bed_ward_fits_without_shortening_a_cell() -> None:
    data = _tidy(sample_board(60, empty_every=0))
    _, report = draw_board(board_picture(data, ZH, private=True))
    assert [r for r in report.truncated if r.startswith("bed ")] == []
    # The lists beside the map are long in the sample: they are shortened, and say so.
    assert any(r.startswith("panel: ") for r in report.truncated)


def test_a_crowded_bed_reports_what_it_left_out() -> None:
    data = sample_board(60)
    stay = next(s for s in data.active if s.bed == "1")
    tags = tuple(
        BedsideTag(kind, PatientTag(900 + i, stay.id, kind.code, None, data.now, 1))
        for i, kind in enumerate(DEFAULT_TAGS[:9])
    )
    crowded = dict(data.bedside)
    crowded[stay.id] = BedsideInfo(stay.id, tags, (), data.bedside[stay.id].sign, None, "")
    _, report = draw_board(
        board_picture(dataclasses.replace(data, bedside=crowded), ZH, private=True)
    )
    assert any(r.startswith("bed 1: ") and "badges" in r for r in report.truncated)


def test_a_new_patient_changes_only_that_beds_cell() -> None:
    data = sample_board(60)  # bed 9 is empty
    assert "9" not in {s.bed for s in data.active}
    template = next(s for s in data.active if s.bed == "10")
    # Admitted yesterday, so the census and the day's lists stay the same.
    newcomer = dataclasses.replace(
        template,
        id=999,
        bed="9",
        name="钱多多",
        admitted_at=data.now.replace(day=data.now.day - 1),
        critical=Critical.CRITICAL,
    )
    before, _ = draw_board(board_picture(data, ZH, private=True))
    after_data = dataclasses.replace(data, active=(*data.active, newcomer))
    after, _ = draw_board(board_picture(after_data, ZH, private=True))
    boxes = cell_boxes(len(bed_labels(data)))
    target = _index(data, "9")
    assert ImageChops.difference(
        _crop(before, boxes[target]), _crop(after, boxes[target])
    ).getbbox()
    for i, box in enumerate(boxes):
        if i != target:
            same = ImageChops.difference(_crop(before, box), _crop(after, box)).getbbox()
            assert same is None, f"cell {i} changed"


def test_an_empty_bed_is_visibly_empty() -> None:
    data = sample_board(60)
    image, _ = draw_board(board_picture(data, ZH, private=True))
    boxes = cell_boxes(60)
    empty = _crop(image, boxes[_index(data, "9")])
    taken = _crop(image, boxes[_index(data, "10")])
    # An empty cell is a pale, dashed box: nearly all light grey, no white card, no band.
    assert empty.getpixel((empty.width // 2, 15)) != taken.getpixel((taken.width // 2, 15))
    colours = empty.getcolors(maxcolors=100_000) or []
    pale = sum(n for n, (r, g, b) in colours if min(r, g, b) > 200)
    assert pale / (empty.width * empty.height) > 0.9


def test_level_bands_take_the_wards_colours() -> None:
    data = sample_board(60)
    stay = next(s for s in data.active if s.level is NursingLevel.ONE)
    colours = BoardColours().with_colour("1", "#123456")
    image, _ = draw_board(board_picture(data, ZH, private=True, colours=colours))
    x0, y0, x1, _ = cell_boxes(60)[_index(data, stay.bed)]
    # The band's middle, between the bed number and the level text.
    assert image.getpixel((round((x0 + x1) / 2), round(y0 + 4))) == (0x12, 0x34, 0x56)


def test_default_colours_are_told_apart_without_hue() -> None:
    colours = BoardColours()
    levels = [colours.level(level) for level in NursingLevel]
    assert len(set(levels)) == 4
    # Each band's text reads on it (WCAG AA for large text), whatever the reader's eyes.
    for colour in [*levels, colours.critical, colours.serious, colours.overdue]:
        assert contrast_ratio(colour, text_colour_for(colour)) >= 3.0


def test_colours_round_trip_through_the_policy_document() -> None:
    policy = WardPolicy(colours=BoardColours().with_colour("critical", "#112233"))
    again = WardPolicy.from_dict(policy.to_dict())
    assert again.colours.critical == "#112233"
    assert again.colours == policy.colours
    older = policy.to_dict()
    del older["colours"]
    assert WardPolicy.from_dict(older).colours == BoardColours()
    with pytest.raises(PolicyError):
        BoardColours().with_colour("1", "red")
    with pytest.raises(PolicyError):
        WardPolicy.from_dict({**policy.to_dict(), "colours": {"levels": {"9": "#000000"}}})


@pytest.mark.parametrize("beds", [0, 12, 40, 100])
def test_other_ward_sizes_fit_the_screen(beds: int) -> None:
    data = sample_board(beds)
    image, report = draw_board(board_picture(data, EN, private=False))
    assert image.size == SCREEN
    assert report.columns * report.rows >= beds
    boxes = cell_boxes(beds)
    assert all(0 <= x0 < x1 <= 1440 and 112 < y0 < y1 <= 1080 for x0, y0, x1, y1 in boxes)


def test_an_occupied_extra_bed_gets_a_cell() -> None:
    data = sample_board(20)
    extra: Stay = dataclasses.replace(data.active[0], id=777, bed="+1")
    data = dataclasses.replace(data, active=(*data.active, extra))
    assert bed_labels(data)[-1] == "+1"
    pic = board_picture(data, ZH, private=True)
    assert pic.cells[-1].bed == "加1" and pic.cells[-1].name == extra.name
    assert TAGS["fall"].badge_zh == "防跌倒"


def test_characters_the_font_lacks_are_drawn_as_a_plain_box(
    drawn_text: list[str], cmap: set[int]
) -> None:
    data = sample_board(20)
    odd = dataclasses.replace(data.active[0], name="王😀𠀀")
    note = BoardItem(999, odd.id, ItemKind.NOTE, data.now, "带口罩😷", 1)
    data = dataclasses.replace(
        data, active=(odd, *data.active[1:]), items_today=(*data.items_today, note)
    )
    draw_board(board_picture(data, ZH, private=True))
    assert {ch for s in drawn_text for ch in s if ord(ch) not in cmap} == set()
    assert "王□□" in drawn_text
    assert any("带口罩□" in s for s in drawn_text)


def test_tomorrows_surgery_fits_its_cell() -> None:
    data = sample_board(60)
    stay = next(s for s in data.active if s.bed == "10")
    op = Surgery(
        500, stay.id, data.now + timedelta(days=1), "胆囊切除术", SurgeryState.SCHEDULED, data.now
    )
    data = dataclasses.replace(data, surgeries=(op,))
    pic = board_picture(data, ZH, private=True)
    cell = pic.cells[_index(data, "10")]
    assert cell.surgery is not None and cell.surgery.startswith("手术 明天")
    _, report = draw_board(pic)
    assert not [r for r in report.truncated if r.startswith("bed 10")]


def test_a_name_too_long_for_its_cell_is_shortened_and_reported(drawn_text: list[str]) -> None:
    data = sample_board(60)
    long = dataclasses.replace(data.active[0], name="Christopher Montgomery-Smithson")
    data = dataclasses.replace(data, active=(long, *data.active[1:]))
    _, report = draw_board(board_picture(data, EN, private=True))
    assert f"bed {long.bed}: name" in report.truncated
    assert any(s.startswith("Christ") and s.endswith("…") for s in drawn_text)
    _, masked = draw_board(board_picture(data, EN, private=False))
    assert f"bed {long.bed}: name" not in masked.truncated  # C. M*** fits


def test_line_breaking_keeps_every_character_around_a_separator() -> None:
    # The canvas once stored "xx · yy"'s space in the wrong slot: "切除术 ·" became "切术 术·".
    from boards.signs.canvas import Canvas

    c = Canvas(100, 100, dpi=254)
    for text in ("腹腔镜胆囊切除术 · 待手术", "下一时段 15:00（6项） · 待执行 4 · ⚠ 逾期 2"):
        assert "".join(c.wrap(text, 2.1, 1000)) == text
        assert " ".join(c.wrap(text, 2.1, 20)).replace(" ", "") == text.replace(" ", "")

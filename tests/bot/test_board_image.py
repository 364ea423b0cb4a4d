"""`/board image` and `wardboard board` through the real bot: the PNG a station screen shows."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from boards.picture import cell_boxes, forget_badges
from bot.cli import main
from bot.emulator import EmuMessage
from tests.bot.conftest import GROUP_ID, Ward

BEDS = 40  # the conftest ward: /newward 普外科一病区 40


@pytest.fixture
def drawn_text(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string the renderer hands to Pillow (it draws in a worker thread)."""
    seen: list[str] = []
    original: Callable[..., None] = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(str(text))
        original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    forget_badges()  # badges are drawn once and reused: draw them again, to be seen
    return seen


async def _picture(ward: Ward, *, group: bool = False, word: str = "image") -> EmuMessage:
    user = ward.nurse
    sent = await ward.say(user, f"/board {word}", group=group)
    chat = GROUP_ID if group else user.id
    photos = [m for m in sent if m.chat_id == chat and m.photo is not None]
    assert len(photos) == 1, [m.text for m in sent]
    return photos[0]


def _image(message: EmuMessage) -> Image.Image:
    assert message.photo is not None
    image = Image.open(io.BytesIO(message.photo.data))
    assert image.format == "PNG"
    return image.convert("RGB")


def _cell(image: Image.Image, bed: int) -> Image.Image:
    x0, y0, x1, y1 = cell_boxes(BEDS)[bed - 1]
    return image.crop((round(x0), round(y0), round(x1), round(y1)))


async def test_board_image_in_private_has_full_names_and_in_the_group_masked(
    ward: Ward, drawn_text: list[str]
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    await ward.say(ward.nurse, "/critical 12 病危")

    drawn_text.clear()
    private = await _picture(ward)
    assert private.text.startswith("普外科一病区 白板 · ")
    image = _image(private)
    assert image.size == (1920, 1080)
    assert "张三" in drawn_text and "病危" in drawn_text and "二级" in drawn_text
    assert "阑尾炎" not in " ".join(drawn_text)  # a diagnosis is never on the wall

    drawn_text.clear()
    group = await _picture(ward, group=True, word="图片")
    assert "张*" in drawn_text
    assert not any("张三" in s for s in drawn_text)
    assert ImageChops.difference(image, _image(group)).getbbox() is not None
    assert ward.emu.errors == []


async def test_an_admission_changes_that_beds_cell_and_no_other(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    before = _image(await _picture(ward))
    await ward.say(ward.nurse, "/admit 13 李四 女 40 肺炎 一级")
    after = _image(await _picture(ward))
    assert ImageChops.difference(_cell(before, 13), _cell(after, 13)).getbbox() is not None
    for bed in range(1, BEDS + 1):
        if bed != 13:
            assert ImageChops.difference(_cell(before, bed), _cell(after, bed)).getbbox() is None
    # The new patient's band has the ward's 一级 colour.
    x0, y0, x1, _ = cell_boxes(BEDS)[12]
    assert after.getpixel((round((x0 + x1) / 2), round(y0 + 4))) == (0xCC, 0x79, 0xA7)


async def test_the_head_nurse_sets_the_boards_colours(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 13 李四 女 40 肺炎 一级")
    reply = await ward.reply(ward.head, "/policy colour 一级 #123456")
    assert reply.startswith("✅ 白板颜色已更新")
    assert "一级护理 #123456" in reply
    image = _image(await _picture(ward))
    x0, y0, x1, _ = cell_boxes(BEDS)[12]
    assert image.getpixel((round((x0 + x1) / 2), round(y0 + 4))) == (0x12, 0x34, 0x56)

    refused = await ward.reply(ward.head, "/policy colour 一级 红色")
    assert refused.startswith("「一级 红色」不是颜色设置")
    assert "#123456" in await ward.reply(ward.head, "/policy colour")
    assert "一级护理 #CC79A7" in await ward.reply(ward.head, "/policy colour reset")
    # A nurse who is not the head nurse cannot change the ward's colours.
    assert "#654321" not in await ward.reply(ward.nurse, "/policy colour 一级 #654321")


async def test_wardboard_board_writes_the_picture_offline(
    ward: Ward, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", database_url)
    out = tmp_path / "board.png"
    assert (
        await asyncio.to_thread(main, ["board", "--ward", "普外科一病区", "--out", str(out)]) == 0
    )
    with Image.open(out) as image:
        assert image.size == (1920, 1080)
        masked = image.convert("RGB")
    full = tmp_path / "full.png"
    args = ["board", "--ward", "普外科一病区", "--out", str(full), "--full-names"]
    assert await asyncio.to_thread(main, args) == 0
    with Image.open(full) as image:
        assert ImageChops.difference(masked, image.convert("RGB")).getbbox() is not None
    bad = ["board", "--ward", "无此病区", "--out", str(out)]
    assert await asyncio.to_thread(main, bad) == 2


async def test_board_file_sends_the_png_itself(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    sent = await ward.say(ward.nurse, "/board 原图")
    files = [m for m in sent if m.document is not None]
    assert len(files) == 1 and files[0].photo is None
    document = files[0].document
    assert document is not None and document.filename == "board-20261123-0800.png"
    with Image.open(io.BytesIO(document.data)) as image:
        assert image.size == (1920, 1080)
    # The board still answers in text as before, and the picture leaves it unchanged.
    assert "12床 张三" in await ward.reply(ward.nurse, "/board")

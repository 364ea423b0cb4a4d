"""Hostile input end to end: invisible characters, bidi overrides and HTML in what is typed."""

from __future__ import annotations

from boards.text import has_invisible
from tests.bot.conftest import Ward


async def test_invisible_characters_and_bidi_overrides_never_reach_the_board(ward: Ward) -> None:
    await ward.ready()
    # The security review's case: a zero-width space made 张三 mask as 张*三.
    assert await ward.reply(ward.nurse, "/admit 12 张\u200b三 男 45") == "✅ 已入院：12床 张三"
    # A right-to-left override would draw the rest of the board line backwards.
    admitted = await ward.reply(ward.nurse, "/admit 13 \u202e李四五\u202c 女 40")
    assert admitted == "✅ 已入院：13床 李四五"
    noted = await ward.reply(ward.nurse, "/note 12 <b>伤口\u202e加压</b>\u2066包扎\u2069")
    assert noted.startswith("✅ 已添加备注：12床 张三 <b>伤口加压</b>包扎\n提示：")

    board = await ward.board()
    assert "12床 张* 男 45岁" in board.text
    assert "13床 李*五 女 40岁" in board.text
    assert "张*三" not in board.text and "张三" not in board.text and "李四五" not in board.text
    # The note shows as typed, tags and all, as text: escaped, not bold.
    assert "【备注】\n12床 张* <b>伤口加压</b>包扎" in board.text
    assert "&lt;b&gt;伤口加压&lt;/b&gt;包扎" in (board.html or "")
    assert not has_invisible(board.text)

    async with ward.database.uow() as uow:
        stays = await uow.stays.active(await ward.ward_id())
    assert sorted(s.name for s in stays) == ["张三", "李四五"]


async def test_a_word_of_invisible_characters_is_no_word_and_a_bed_must_be_visible(
    ward: Ward,
) -> None:
    await ward.ready()
    nurse = ward.nurse
    assert await ward.reply(nurse, "/admit 14 \u200b 王五 男 50") == "✅ 已入院：14床 王五"
    refused = await ward.reply(nurse, "/discharge 1\u200b4")
    assert refused.startswith("床号「14」无法识别。\n格式：/discharge")
    assert "\u200b" not in refused
    assert await ward.reply(nurse, "/discharge １４") == "✅ 已出院：14床 王五"
    # What she sees is `/admit 15 男 50`: a word short.
    assert (await ward.reply(nurse, "/admit 15 \u202e\u202c 男 50")).startswith("缺少内容。")
    assert (await ward.reply(nurse, "/admit 15 <> 男 50")).startswith("请写患者姓名。")


async def test_dialogue_answers_are_cleaned_and_an_invisible_one_is_asked_again(
    ward: Ward,
) -> None:
    await ward.ready()
    nurse = ward.nurse
    assert (await ward.reply(nurse, "/admit")).startswith("请输入床号")
    assert await ward.reply(nurse, "１２") == "请输入患者姓名："
    assert await ward.reply(nurse, "\u200b\u202e") == "内容不能为空。\n请输入患者姓名："
    sex = (await nurse.say("张\u200b三"))[-1]
    age = await nurse.press(sex, "男")
    assert age[-1].text.startswith("年龄")
    assert (await nurse.say("4\u200b5"))[-1].text == "诊断（可跳过）："
    # Free text keeps its compatibility forms: NFKC would make 10⁹/L read 109/L.
    level = (await nurse.say("白细胞 12×10⁹/L\u202e"))[-1]
    done = await nurse.press(level, "一级护理")
    assert done[-1].text == "✅ 已入院：12床 张三"
    assert "12床 张* 男 45岁 一级护理" in (await ward.board()).text
    assert "12床 张三 男 45岁 白细胞 12×10⁹/L 一级护理" in await ward.reply(nurse, "/board")


async def test_a_ward_name_is_cleaned_too(ward: Ward) -> None:
    await ward.ready()
    created = await ward.reply(ward.head, "/newward \u202e心内\u200b科 20")
    assert "心内科" in created and not has_invisible(created)
    assert await ward.ward_id("心内科")
    switched = await ward.reply(ward.head, "/ward 心内科\u2060")
    assert "心内科" in switched and not has_invisible(switched)

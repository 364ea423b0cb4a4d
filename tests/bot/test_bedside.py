"""Warning tags, lines, printed QR signs and scanning them, through the real bot."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2
import zxingcpp
from PIL import Image

from tests.bot.conftest import Ward

LINK = "https://t.me/wardboard_test_bot?start=s_"


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_qr_texts(data: bytes) -> list[str]:
    found: list[str] = []
    pdf = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            found += qr_texts(page.render(scale=300 / 72).to_pil())
            page.close()
    finally:
        pdf.close()
    return found


async def test_tags_show_on_the_board_and_card_with_details_only_in_private(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    await ward.say(ward.nurse, "/admit 13 李四 女 40")
    assert await ward.reply(ward.nurse, "/tag 12 过敏 青霉素,头孢") == (
        "✅ 12床 张三：已添加「药物过敏：青霉素,头孢」"
    )
    await ward.say(ward.nurse, "/tag 12 防跌倒")
    assert (
        await ward.reply(ward.nurse, "/tag 13 跌倒", group=True) == "✅ 13床 李*：已添加「防跌倒」"
    )

    board = (await ward.board()).text
    assert "【警示标识】\n防跌倒 2 · 过敏 1\n" in board
    assert "12床 张* " in board and "青霉素" not in board
    private = await ward.reply(ward.nurse, "/board")
    assert "过敏(青霉素,头孢)" in private

    card = await ward.reply(ward.nurse, "/card 12")
    assert "⚠ 药物过敏：青霉素,头孢" in card and "⚠ 防跌倒" in card

    assert await ward.reply(ward.nurse, "/untag 12 防跌倒") == "✅ 12床 张三：已撤除「防跌倒」"
    tally = (await ward.board()).text.split("【警示标识】\n", 1)[1].splitlines()[0]
    assert sorted(tally.split(" · ")) == ["过敏 1", "防跌倒 1"]


async def test_bad_tags_and_lines_change_nothing(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    before = (await ward.board()).text
    unknown = await ward.reply(ward.nurse, "/tag 12 飞行")
    assert unknown.startswith("没有「飞行」这个警示标识。\n格式：/tag 床号 标识 [内容]")
    assert "可指" in await ward.reply(ward.nurse, "/tag 12 隔离")
    assert (await ward.reply(ward.nurse, "/tag 12 过敏")).startswith("「药物过敏」需写明内容")
    assert (await ward.reply(ward.nurse, "/tag 7 防跌倒")).startswith("7床没有在院患者。")
    assert (await ward.reply(ward.nurse, "/tag 12 过敏 " + "药" * 120)).startswith("内容过长")
    assert (await ward.reply(ward.nurse, "/line 12 导丝")).startswith("没有「导丝」这种导管。")
    assert (await ward.reply(ward.nurse, "/line 12 PICC 右上臂 明天")).startswith(
        "置管时间不能晚于现在；"
    )
    assert (await ward.reply(ward.nurse, "/untag 12 防跌倒")).startswith(
        "12床没有「防跌倒」标识。"
    )
    assert (await ward.board()).text == before


async def test_lines_show_dwell_days_and_flag_the_limit(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    reply = await ward.reply(ward.nurse, "/line 12 留置针 左前臂 昨天 8:00 补液")
    assert reply == "✅ 12床 张三：已登记 留置针，置管 11月22日 08:00"
    await ward.say(ward.nurse, "/line 12 PICC 右上臂 11-20 化疗")
    card = await ward.reply(ward.nurse, "/card 12")
    assert "导管1：外周静脉留置针 · 左前臂 · 补液 · 置管 11月22日 · 留置第2天" in card
    assert "导管2：PICC · 右上臂 · 化疗 · 置管 11月20日 · 留置第4天" in card

    ward.clock.advance(timedelta(days=3))
    await ward.runtime.publisher.refresh_stale_days()  # the bot's day-change job
    card = await ward.reply(ward.nurse, "/card 12")
    assert "留置第5天 ⚠ 已超留置期限" in card
    board = (await ward.board()).text
    assert "【导管】\n12床 张* ⚠外周静脉留置针 第5天 · PICC 第7天" in board

    assert await ward.reply(ward.nurse, "/unline 12 1") == "✅ 12床 张三：已拔除 piv"


async def test_a_printed_sign_decodes_to_the_patient_card_for_ward_members_only(
    ward: Ward,
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 一级")
    await ward.say(ward.nurse, "/tag 12 过敏 青霉素")
    assert "【床头卡】\n未打印：12床" in (await ward.board()).text

    sent = await ward.say(ward.nurse, "/sign 12")
    photo = next(m for m in sent if m.photo is not None)
    document = next(m for m in sent if m.document is not None)
    assert photo.photo is not None and document.document is not None
    (link,) = qr_texts(Image.open(io.BytesIO(photo.photo.data)))
    assert link.startswith(LINK) and len(link.split("start=")[1]) <= 64
    assert pdf_qr_texts(document.document.data) == [link]
    assert "【床头卡】" not in (await ward.board()).text

    payload = link.split("start=", 1)[1]
    card = await ward.reply(ward.nurse, f"/start {payload}")
    assert card.startswith("🛏 12床 张三") and "青霉素" in card

    refused = await ward.reply(ward.stranger, f"/start {payload}")
    assert refused == "链接无效或已失效。"
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    assert any(e.action == "sign:print" for e in entries)

    # A tag change makes the printed sign out of date.
    await ward.say(ward.nurse, "/tag 12 防跌倒")
    assert "【床头卡】\n需重新打印：12床" in (await ward.board()).text
    assert "床头卡已过期" in await ward.reply(ward.nurse, "/card 12")

    # Reprinting with a new code retires the old one; discharge retires the new one.
    sent = await ward.say(ward.nurse, "/sign 12 new")
    new_photo = next(m for m in sent if m.photo is not None)
    assert new_photo.photo is not None
    (new_link,) = qr_texts(Image.open(io.BytesIO(new_photo.photo.data)))
    assert new_link != link
    assert await ward.reply(ward.nurse, f"/start {payload}") == "链接无效或已失效。"
    new_payload = new_link.split("start=", 1)[1]
    assert (await ward.reply(ward.nurse, f"/start {new_payload}")).startswith("🛏 12床 张三")
    await ward.say(ward.nurse, "/discharge 12")
    assert await ward.reply(ward.nurse, f"/start {new_payload}") == "链接无效或已失效。"


async def test_scans_by_pending_removed_and_other_ward_staff_reveal_nothing(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    sent = await ward.say(ward.nurse, "/sign 12")
    photo = next(m for m in sent if m.photo is not None)
    assert photo.photo is not None
    (link,) = qr_texts(Image.open(io.BytesIO(photo.photo.data)))
    payload = link.split("start=", 1)[1]

    # A nurse who asked to join but is not approved yet.
    invite = await ward.reply(ward.head, "/invite")
    await ward.say(ward.stranger, "/start " + invite.split("?start=", 1)[1].split()[0])
    assert await ward.reply(ward.stranger, f"/start {payload}") == "链接无效或已失效。"

    # The head nurse of another ward.
    other = ward.emu.add_user(777, "赵护士长", language_code="zh-hans")
    await ward.say(other, "/newward 心内科")
    assert await ward.reply(other, f"/start {payload}") == "链接无效或已失效。"

    # A nurse removed from the ward.
    members = (await ward.say(ward.head, "/members"))[-1]
    await ward.head.press(members, "移除 李娜")
    assert await ward.reply(ward.nurse, f"/start {payload}") == "链接无效或已失效。"
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id(), limit=500)
        refusals = [e for e in entries if e.action == "sign:scan_refused"]
    assert {e.actor_id for e in refusals} == {ward.stranger.id, other.id, ward.nurse.id}


async def test_the_ward_sheet_has_every_occupied_bed(ward: Ward) -> None:
    await ward.ready()
    for bed in (3, 5, 12):
        await ward.say(ward.nurse, f"/admit {bed} 患者{bed} 女 60")
    sent = await ward.say(ward.nurse, "/signs")
    document = next(m for m in sent if m.document is not None)
    assert document.document is not None and document.text.startswith("本病区 3 张床头卡")
    links = pdf_qr_texts(document.document.data)
    assert len(links) == 3 and all(link.startswith(LINK) for link in links)
    assert len(set(links)) == 3


async def test_head_nurse_chooses_the_wards_tags(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    assert "• 防走失（防走失）" in await ward.reply(ward.head, "/tags")
    assert await ward.reply(ward.nurse, "/tags off 防走失") == "只有护士长可以这样做。"
    assert (await ward.reply(ward.head, "/tags off 防走失")).startswith("✅ 已停用「防走失」")
    assert (await ward.reply(ward.nurse, "/tag 12 防走失")).startswith(
        "本病区已停用「防走失」标识。"
    )
    assert (
        await ward.reply(ward.head, "/tags add 防自行拔管 紫") == "✅ 已新增标识「防自行拔管」。"
    )
    assert (
        await ward.reply(ward.nurse, "/tag 12 防自行拔管") == "✅ 12床 张三：已添加「防自行拔管」"
    )
    assert (await ward.reply(ward.head, "/tags maybe x")).startswith("「maybe」无法识别")


async def test_line_labels_are_printed_per_line(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    assert (await ward.reply(ward.nurse, "/labels 12")).startswith("12床没有在位的导管。")
    await ward.say(ward.nurse, "/line 12 PICC 右上臂 11-20 化疗")
    await ward.say(ward.nurse, "/line 12 尿管")
    sent = await ward.say(ward.nurse, "/labels 12")
    photos = [m for m in sent if m.photo is not None]
    assert [m.text for m in photos] == ["12床 导管标签 1", "12床 导管标签 2"]
    image = Image.open(io.BytesIO(photos[0].photo.data))  # type: ignore[union-attr]
    assert image.width > image.height  # a landscape 60 × 30 mm label

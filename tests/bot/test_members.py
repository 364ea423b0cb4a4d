"""Wards and people: invites, approval, removal, head-nurse hand-over, binding the group."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.conftest import GROUP_ID, Ward


async def test_head_nurse_invites_and_approves_a_nurse(ward: Ward) -> None:
    await ward.create_ward()
    invite = await ward.reply(ward.head, "/invite")
    assert "https://t.me/wardboard_test_bot?start=j_" in invite
    payload = invite.split("?start=", 1)[1].split()[0]

    sent = await ward.say(ward.nurse, f"/start {payload}")
    to_nurse = [m.text for m in sent if m.chat_id == ward.nurse.id]
    assert to_nurse == ["已向「普外科一病区」护士长提交加入申请，请等待批准。"]
    request = next(m for m in sent if m.chat_id == ward.head.id)
    assert request.text == (
        "李娜 申请加入「普外科一病区」。\n"
        "无用户名 · ID 502\n"
        "名字可被冒用，请核对用户名和 ID 后再批准。"
    )

    # Pending nurses see nothing yet.
    assert (await ward.reply(ward.nurse, "/board")).startswith("您还没有加入病区")
    welcome = await ward.head.press(request, "批准")
    assert [m.text for m in welcome if m.chat_id == ward.nurse.id] == [
        "✅ 您已加入「普外科一病区」。发送 /board 查看白板，/help 查看命令。"
    ]
    assert (
        ward.emu.chat(ward.head.id)
        .messages[request_index(ward, request)]
        .text.startswith("✅ 已批准 李娜（王芳，08:00）")
    )
    assert request.buttons() == []  # decided: the buttons are gone
    assert "现有 0" in await ward.reply(ward.nurse, "/board")

    members = await ward.reply(ward.head, "/members")
    assert "• 王芳 · 护士长" in members and "• 李娜 · 护士" in members


def request_index(ward: Ward, request: object) -> int:
    messages = ward.emu.chat(ward.head.id).messages
    return next(i for i, m in enumerate(messages) if m.message_id == request.message_id)


async def test_expired_or_forged_invites_are_refused(ward: Ward) -> None:
    await ward.create_ward()
    invite = await ward.reply(ward.head, "/invite")
    payload = invite.split("?start=", 1)[1].split()[0]
    ward.clock.advance(timedelta(hours=49))
    assert (await ward.reply(ward.nurse, f"/start {payload}")).startswith("邀请链接无效或已过期")
    assert (await ward.reply(ward.nurse, "/start j_AAAAAAAAAAAAAAAA")).startswith("邀请链接无效")


async def test_declined_and_removed_nurses_lose_access(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    members = (await ward.say(ward.head, "/members"))[-1]
    await ward.head.press(members, "移除 李娜")
    assert (await ward.reply(ward.nurse, "/card 12")).startswith("您还没有加入病区")
    # In the ward group she is no longer answered; she is told so in private.
    sent = await ward.say(ward.nurse, "/board", group=True)
    assert [(m.chat_id, m.text) for m in sent] == [
        (ward.nurse.id, "您不是本群所属病区的成员，您在群内发送的命令不会得到回复。")
    ]

    # The stranger asks and is declined.
    invite = await ward.reply(ward.head, "/invite")
    payload = invite.split("?start=", 1)[1].split()[0]
    sent = await ward.say(ward.stranger, f"/start {payload}")
    request = next(m for m in sent if m.chat_id == ward.head.id)
    declined = await ward.head.press(request, "拒绝")
    assert [m.text for m in declined if m.chat_id == ward.stranger.id] == [
        "您加入「普外科一病区」的申请未获批准。"
    ]
    assert (await ward.reply(ward.stranger, "/board")).startswith("您还没有加入病区")


async def test_head_nurse_hands_over_and_only_the_head_binds(ward: Ward) -> None:
    await ward.create_ward()
    await ward.join_nurse()
    assert await ward.reply(ward.nurse, "/bind", group=True) == "只有护士长可以这样做。"
    assert ward.emu.chat(GROUP_ID).pinned_message_id is None
    assert await ward.reply(ward.nurse, "/invite") == "只有护士长可以这样做。"

    members = (await ward.say(ward.head, "/members"))[-1]
    handed = await ward.head.press(members, "设为护士长")
    assert handed[-1].text == "李娜 现为「普外科一病区」护士长。"
    assert await ward.reply(ward.head, "/invite") == "只有护士长可以这样做。"
    bound = await ward.reply(ward.nurse, "/bind", group=True)
    assert bound.startswith("本群已绑定为「普外科一病区」病区群")
    assert "📋 普外科一病区 白板" in (await ward.board()).text


async def test_an_unbound_group_says_how_to_bind(ward: Ward) -> None:
    await ward.create_ward()
    assert await ward.reply(ward.head, "/board", group=True) == (
        "本群尚未绑定病区。护士长请在群里发送 /bind。"
    )


async def test_a_nurse_in_two_wards_switches(ward: Ward) -> None:
    await ward.create_ward()
    await ward.reply(ward.head, "/newward 骨科病区")
    # A nurse of two wards reads which ward each reply is about.
    assert await ward.reply(ward.head, "/admit 1 甲 男 30") == "【骨科病区】✅ 已入院：1床 甲"
    choose = (await ward.say(ward.head, "/ward"))[-1]
    assert [row[0][0] for row in choose.buttons()] == ["普外科一病区", "✅ 骨科病区"]
    switched = await ward.head.press(choose, "普外科一病区")
    assert switched[-1].text == "当前病区：普外科一病区"
    assert "现有 0" in await ward.reply(ward.head, "/board")
    assert (
        await ward.reply(ward.head, "/ward 心内科")
    ) == "没有名为「心内科」的病区。\n格式：/ward [病区名]"

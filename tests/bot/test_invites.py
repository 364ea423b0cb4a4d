"""Invites that cannot be passed around and join requests that cannot impersonate or flood."""

from __future__ import annotations

from bot.emulator import EmuMessage, EmuUser
from tests.bot.conftest import Ward

INVALID = "邀请链接无效或已过期，请向护士长索取新链接。"
REQUESTED = "已向「普外科一病区」护士长提交加入申请，请等待批准。"
USAGE = "格式：/invite [人数] ｜ /invite off（作废所有链接），例如 /invite 5"


async def _payload(ward: Ward, command: str = "/invite") -> str:
    reply = await ward.reply(ward.head, command)
    return reply.split("?start=", 1)[1].split()[0]


async def _open(ward: Ward, user: EmuUser, payload: str) -> tuple[str, list[EmuMessage]]:
    """What the person who opened the link reads, and what the head nurse was sent."""
    sent = await ward.say(user, f"/start {payload}")
    mine = "\n".join(m.text for m in sent if m.chat_id == user.id)
    return mine, [m for m in sent if m.chat_id == ward.head.id]


def _people(ward: Ward, count: int) -> list[EmuUser]:
    return [ward.emu.add_user(600 + i, f"护士{i}", language_code="zh-hans") for i in range(count)]


async def _invites(ward: Ward) -> list[tuple[int, int]]:
    """(max uses, uses) of every invite the ward ever made."""
    async with ward.database.uow() as uow:
        return [(i.max_uses, i.uses) for i in await uow.invites.of_ward(await ward.ward_id())]


async def test_the_head_nurse_sees_username_and_id_of_two_people_with_one_name(
    ward: Ward,
) -> None:
    await ward.create_ward()
    impostor = ward.emu.add_user(503, "李娜", username="lina_icu", language_code="zh-hans")
    payload = await _payload(ward, "/invite 2")
    _, first = await _open(ward, ward.nurse, payload)
    _, second = await _open(ward, impostor, payload)
    asks = "李娜 申请加入「普外科一病区」。\n{}\n名字可被冒用，请核对用户名和 ID 后再批准。"
    assert [m.text for m in (*first, *second)] == [
        asks.format("无用户名 · ID 502"),
        asks.format("@lina_icu · ID 503"),
    ]
    async with ward.database.uow() as uow:
        stored = await uow.members.get(await ward.ward_id(), 503)
    assert stored is not None and stored.username == "lina_icu"

    members = (await ward.say(ward.head, "/members"))[-1]
    assert "• 李娜 · 待审批 · 无用户名 · ID 502" in members.text
    assert "• 李娜 · 待审批 · @lina_icu · ID 503" in members.text
    welcome = await ward.head.press(members, "批准 李娜 ID 502")
    assert [m.chat_id for m in welcome if m.chat_id in (502, 503)] == [502]
    after = await ward.reply(ward.head, "/members")
    assert "• 李娜 · 护士" in after and "• 李娜 · 待审批 · @lina_icu · ID 503" in after


async def test_a_head_nurse_reading_english_sees_no_username(ward: Ward) -> None:
    await ward.create_ward()
    assert await ward.reply(ward.head, "/lang en")
    invite = await ward.reply(ward.head, "/invite")
    assert "(uses: 1; valid until" in invite
    payload = invite.split("?start=", 1)[1].split()[0]
    _, asked = await _open(ward, ward.nurse, payload)
    assert [m.text.splitlines()[1] for m in asked] == ["no username · ID 502"]


async def test_a_single_use_link_lets_one_person_ask(ward: Ward) -> None:
    await ward.create_ward()
    reply = await ward.reply(ward.head, "/invite")
    assert reply.startswith("「普外科一病区」邀请链接（限 1 人使用，11月25日 08:00 前有效）：")
    payload = reply.split("?start=", 1)[1].split()[0]
    assert (await _open(ward, ward.nurse, payload))[0] == REQUESTED

    # Forwarded to a group: the next person who opens it learns nothing and asks no one.
    said, asked = await _open(ward, ward.stranger, payload)
    assert (said, asked) == (INVALID, [])
    async with ward.database.uow() as uow:
        assert await uow.members.get(await ward.ward_id(), ward.stranger.id) is None
    assert await _invites(ward) == [(1, 1)]


async def test_a_link_for_three_refuses_the_fourth(ward: Ward) -> None:
    await ward.create_ward()
    reply = await ward.reply(ward.head, "/invite 3")
    assert "限 3 人使用" in reply
    payload = reply.split("?start=", 1)[1].split()[0]
    first, second, third, fourth = _people(ward, 4)
    asked: list[EmuMessage] = []
    for person in (first, second, third):
        said, to_head = await _open(ward, person, payload)
        assert said == REQUESTED
        asked += to_head
    assert [m.text.splitlines()[0] for m in asked] == [
        f"{name} 申请加入「普外科一病区」。" for name in ("护士0", "护士1", "护士2")
    ]
    assert await _open(ward, fourth, payload) == (INVALID, [])
    assert await _invites(ward) == [(3, 3)]
    for request in asked:
        await ward.head.press(request, "批准")
    assert "（4人）" in await ward.reply(ward.head, "/members")


async def test_invite_off_revokes_every_open_link(ward: Ward) -> None:
    await ward.create_ward()
    single = await _payload(ward)
    several = await _payload(ward, "/invite 5")
    used = await _payload(ward)
    assert (await _open(ward, ward.nurse, used))[0] == REQUESTED

    assert await ward.reply(ward.head, "/invite off") == "已作废「普外科一病区」的 2 个邀请链接。"
    for payload in (single, several):
        assert await _open(ward, ward.stranger, payload) == (INVALID, [])
    assert await ward.reply(ward.head, "/invite off") == "「普外科一病区」没有可作废的邀请链接。"
    # The nurse who asked before the links were revoked is still waiting for the head.
    assert "• 李娜 · 待审批" in await ward.reply(ward.head, "/members")

    async with ward.database.uow() as uow:
        audit = await uow.audit.of_ward(await ward.ward_id())
    actions = [entry.action for entry in audit]
    assert actions.count("invite:create") == 3
    assert actions.count("invite:use") == 1
    assert actions.count("invite:revoke") == 2
    # The audit names a link by its first characters: the log does not hand out invites.
    targets = {e.target for e in audit if e.action.startswith("invite:")}
    assert all(t == "all" or (t.endswith("…") and len(t) == 5) for t in targets)


async def test_asking_five_times_is_one_request_and_one_use(ward: Ward) -> None:
    await ward.create_ward()
    payload = await _payload(ward, "/invite 2")
    asked: list[EmuMessage] = []
    for _ in range(5):
        said, to_head = await _open(ward, ward.nurse, payload)
        assert said == REQUESTED
        asked += to_head
    assert len(asked) == 1
    assert await _invites(ward) == [(2, 1)]
    # The use she did not spend is left for a colleague.
    assert (await _open(ward, ward.stranger, payload))[0] == REQUESTED


async def test_declined_asks_again_only_with_a_new_link_and_members_are_told_so(
    ward: Ward,
) -> None:
    await ward.create_ward()
    payload = await _payload(ward)
    _, asked = await _open(ward, ward.nurse, payload)
    await ward.head.press(asked[0], "拒绝")
    assert await _open(ward, ward.nurse, payload) == (INVALID, [])

    again = await _payload(ward)
    said, asked = await _open(ward, ward.nurse, again)
    assert said == REQUESTED and len(asked) == 1  # a new decision for the head nurse
    await ward.head.press(asked[0], "批准")

    unused = await _payload(ward)
    assert await _open(ward, ward.nurse, unused) == ("您已是「普外科一病区」的成员。", [])
    assert sorted(await _invites(ward)) == [(1, 0), (1, 1), (1, 1)]  # the last one unused


async def test_bad_forms_of_invite_are_refused_and_create_nothing(ward: Ward) -> None:
    await ward.create_ward()
    for command in ("/invite 0", "/invite 999", "/invite abc"):
        assert await ward.reply(ward.head, command) == (
            f"人数须为 1 到 50 之间的整数。\n{USAGE}"
        ), command
    assert await ward.reply(ward.head, "/invite 5 6") == f"内容多余。\n{USAGE}"
    assert await _invites(ward) == []
    await ward.join_nurse()
    # A nurse is told she may not, whatever she typed; and no link is made in the group.
    assert await ward.reply(ward.nurse, "/invite abc") == "只有护士长可以这样做。"
    assert await ward.reply(ward.nurse, "/invite off") == "只有护士长可以这样做。"
    assert await _invites(ward) == [(1, 1)]


async def test_a_name_with_invisible_or_reversing_characters_reaches_the_head_cleaned(
    ward: Ward,
) -> None:
    await ward.create_ward()
    # A right-to-left override and zero-width characters: on a phone this may read as
    # another person's name; the head nurse sees what is really there, and the id.
    spoof = ward.emu.add_user(504, "李\u200b娜\u202e", language_code="zh-hans")
    blank = ward.emu.add_user(505, "\u200b\u2066\u2069", language_code="zh-hans")
    payload = await _payload(ward, "/invite 2")
    _, first = await _open(ward, spoof, payload)
    _, second = await _open(ward, blank, payload)
    assert [m.text.splitlines()[:2] for m in (*first, *second)] == [
        ["李娜 申请加入「普外科一病区」。", "无用户名 · ID 504"],
        ["505 申请加入「普外科一病区」。", "无用户名 · ID 505"],
    ]
    members = await ward.reply(ward.head, "/members")
    assert "\u202e" not in members and "\u200b" not in members
    assert "• 李娜 · 待审批 · 无用户名 · ID 504" in members

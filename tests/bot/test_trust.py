"""Every action names its ward and stay: two wards, stale buttons, transfers, the group.

End to end through the emulator, on SQLite and PostgreSQL (the `ward` fixture).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boards.clock import ManualClock
from boards.model import Critical, TransferState
from bot.cli import main
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, EmuMessage, EmuUser
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, TOKEN, Ward

__all__: list[str] = []

ORTHO_GROUP = -1009002


def last(sent: list[EmuMessage], chat_id: int) -> EmuMessage:
    mine = [m for m in sent if m.chat_id == chat_id]
    assert mine, f"nothing sent to {chat_id}: {[m.text for m in sent]}"
    return mine[-1]


async def second_ward(ward: Ward, *, bind: bool = False) -> int:
    """骨科病区, headed by the same head nurse, with the nurse as a member too."""
    assert "已创建病区" in await ward.reply(ward.head, "/newward 骨科病区 30")
    invite = await ward.reply(ward.head, "/invite")
    payload = invite.split("?start=", 1)[1].split()[0]
    sent = await ward.say(ward.nurse, f"/start {payload}")
    await ward.head.press(last(sent, ward.head.id), "批准")
    if bind:
        ward.emu.add_group(ORTHO_GROUP, "骨科群", members=[ward.head, ward.nurse, ward.stranger])
        await ward.head.say("/bind 骨科病区", chat=ward.emu.chat(ORTHO_GROUP))
    return await ward.ward_id("骨科病区")


async def stay_in(ward: Ward, ward_id: int, bed: str) -> tuple[int, Critical | None] | None:
    async with ward.database.uow() as uow:
        stay = await uow.stays.active_in_bed(ward_id, bed)
    return None if stay is None else (stay.id, stay.critical)


async def test_a_card_button_acts_in_the_cards_ward_not_the_current_one(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ortho = await second_ward(ward)
    await ward.reply(ward.nurse, "/ward 骨科病区")
    assert (await ward.reply(ward.nurse, "/admit 12 王五 男 50")).endswith("已入院：12床 王五")
    # She scans the sign of 普外科 bed 12 while working in 骨科, and presses 病危 on the card.
    async with ward.database.uow() as uow:
        token = (await uow.stays.active_in_bed(general, "12")).token  # type: ignore[union-attr]
    sent = await ward.say(ward.nurse, f"/start s_{token}")
    card = last(sent, ward.nurse.id)
    assert card.text.startswith("【普外科一病区】") and "张三" in card.text
    ask = last(await ward.nurse.press(card, "病危"), ward.nurse.id)
    assert ask.text.startswith("【普外科一病区】12床 · ")
    done = last(await ward.nurse.press(ask, "病危"), ward.nurse.id)
    assert done.text == "【普外科一病区】✅ 12床 张三：病危"
    general_12, ortho_12 = await stay_in(ward, general, "12"), await stay_in(ward, ortho, "12")
    assert general_12 is not None and general_12[1] is Critical.CRITICAL
    assert ortho_12 is not None and ortho_12[1] is None


async def test_a_card_button_of_a_bed_that_changed_hands_is_refused(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    card = last(await ward.say(ward.nurse, "/card 12"), ward.nurse.id)
    await ward.say(ward.nurse, "/discharge 12")
    await ward.say(ward.nurse, "/admit 12 李四 女 40")
    refused = await ward.nurse.press(card, "备注")
    assert last(refused, ward.nurse.id).text == ("12床的患者已变更，请重新打开床头卡或重新开始。")
    async with ward.database.uow() as uow:
        assert await ward.runtime.dialogues.get(uow, ward.nurse.id) is None
    # Moved to another bed: the card's buttons name bed 12 too, so they refuse as well.
    card = last(await ward.say(ward.nurse, "/card 12"), ward.nurse.id)
    await ward.say(ward.nurse, "/move 12 15")
    assert "已变更" in last(await ward.nurse.press(card, "病危"), ward.nurse.id).text


async def test_a_dialogue_refuses_when_the_bed_changed_before_the_last_answer(
    ward: Ward,
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ask = last(await ward.say(ward.nurse, "/note"), ward.nurse.id)
    ask = last(await ward.nurse.press(ask, "12床"), ward.nurse.id)
    assert ask.text.startswith("12床 · ")
    # A colleague discharges 张三 and admits 李四 to bed 12 meanwhile.
    await ward.say(ward.head, "/discharge 12")
    await ward.say(ward.head, "/admit 12 李四 女 40")
    refused = await ward.reply(ward.nurse, "青霉素皮试阴性")
    assert refused.startswith("12床的患者已变更")
    assert "青霉素" not in await ward.reply(ward.head, "/board")


async def test_removed_mid_dialogue_finishes_nowhere(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ortho = await second_ward(ward)
    await ward.reply(ward.head, "/ward 骨科病区")
    await ward.say(ward.head, "/admit 12 王五 男 50")
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    ask = last(await ward.say(ward.nurse, "/critical"), ward.nurse.id)
    ask = last(await ward.nurse.press(ask, "12床"), ward.nurse.id)
    # The head removes her from 普外科 while the question is open.
    await ward.reply(ward.head, "/ward 普外科一病区")
    members = last(await ward.say(ward.head, "/members"), ward.head.id)
    await ward.head.press(members, "移除 李娜")
    refused = last(await ward.nurse.press(ask, "病危"), ward.nurse.id)
    assert refused.text == "您不是本病区的成员，无法查看或修改。"
    assert (await stay_in(ward, general, "12")) is not None
    assert (await stay_in(ward, ortho, "12"))[1] is None  # type: ignore[index]
    # Her next private command does not fall back to 骨科 silently: she chooses.
    assert (await ward.reply(ward.nurse, "/board")).startswith("您已不再是当前病区的成员")


async def test_a_forged_ward_switch_names_nothing(ward: Ward) -> None:
    await ward.ready()
    await ward.reply(ward.stranger, "/newward 心内科病区")
    other = await ward.ward_id("心内科病区")
    choose = last(await ward.say(ward.nurse, "/ward"), ward.nurse.id)
    refused = await ward.nurse.press(choose, callback_data=f"w:{other}")
    text = last(refused, ward.nurse.id).text
    assert text == "您不是本病区的成员，无法查看或修改。" and "心内科" not in text
    assert (await ward.reply(ward.nurse, "/board")).startswith("📋 普外科一病区")


async def test_a_nurse_of_two_wards_reads_which_ward_each_reply_is_about(ward: Ward) -> None:
    await ward.ready()
    await second_ward(ward)
    assert await ward.reply(ward.nurse, "/admit 3 赵六 男 60") == (
        "【普外科一病区】✅ 已入院：3床 赵六"
    )
    # In the group the ward is the group's: no label needed.
    assert await ward.reply(ward.nurse, "/admit 4 钱七 女 30", group=True) == (
        "✅ 已入院：4床 钱*"
    )


async def test_a_stale_or_forged_dialogue_button_answers_nothing(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    first = last(await ward.say(ward.nurse, "/discharge"), ward.nurse.id)
    await ward.say(ward.nurse, "/cancel")
    stale = last(await ward.nurse.press(first, "12床"), ward.nurse.id)
    assert stale.text == "这个问题已结束，请重新发送命令。"
    ask = last(await ward.say(ward.nurse, "/discharge"), ward.nurse.id)
    forged = await ward.nurse.press(ask, callback_data="d:999:b:12:1")
    assert last(forged, ward.nurse.id).text == "这个问题已结束，请重新发送命令。"
    assert (await stay_in(ward, await ward.ward_id(), "12")) is not None


# --- transfers -----------------------------------------------------------------------------


async def test_a_transfer_is_offered_seen_masked_and_accepted(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 二级")
    ortho = await second_ward(ward, bind=True)
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    choose = last(await ward.say(ward.nurse, "/transfer 12 5"), ward.nurse.id)
    assert "12床 张三 转往哪个病区？" in choose.text
    sent = await ward.nurse.press(choose, "骨科病区")
    offered = ward.emu.chat(ward.nurse.id).find(choose.message_id)
    assert offered is not None
    assert offered.text == "已发出转科申请：12床 张三 → 骨科病区 5床，待对方病区接收。"
    async with ward.database.uow() as uow:
        offer = (await uow.transfers.pending_from(general))[0]
    assert offered.buttons() == [[("撤回申请", f"xc:{general}:{offer.id}")]]
    # The receiving group sees a masked arrival, nothing more; the patient has not moved.
    notice = last(sent, ORTHO_GROUP)
    assert "待接收" in notice.text and "5床 张*" in notice.text and "普外科一病区" in notice.text
    assert "张三" not in notice.text and "阑尾炎" not in notice.text
    assert (await stay_in(ward, general, "12")) is not None
    board = (await ward.board()).text
    assert "【转出中】" in board and "12床 张* → 骨科病区" in board
    await ward.reply(ward.head, "/ward 骨科病区")
    private = await ward.reply(ward.head, "/board")
    assert "【待接收】" in private and "5床 张*" in private and "阑尾炎" not in private
    assert "张三" not in private
    # A group member who is not in 骨科 cannot accept.
    await ward.stranger.press(notice, "接收")
    assert (await stay_in(ward, ortho, "5")) is None
    # A member of 骨科 accepts in the group: the record crosses now.
    sent = await ward.head.press(notice, "接收")
    assert ward.emu.chat(ORTHO_GROUP).find(notice.message_id).text == "已由 王芳 接收。"  # type: ignore[union-attr]
    told = last(sent, ward.nurse.id)
    assert told.text == "✅ 骨科病区已接收 12床 张三，现为5床。"
    assert (await stay_in(ward, general, "12")) is None
    assert (await stay_in(ward, ortho, "5")) is not None
    there = await ward.reply(ward.head, "/board")
    assert "5床 张三 男 45岁" in there and "（自普外科一病区转入）" in there
    assert "转出 1 · 现有 0" in (await ward.board()).text
    async with ward.database.uow() as uow:
        offers = await uow.transfers.pending_to(ortho)
        audit = [e.action for e in await uow.audit.of_ward(general)]
    assert offers == [] and "transfer:offer" in audit and "stay:transfer_out" in audit


async def test_a_transfer_can_be_rejected_or_withdrawn(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/admit 13 李四 女 40")
    ortho = await second_ward(ward)
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    choose = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    sent = await ward.nurse.press(choose, "骨科病区")
    to_head = last(sent, ward.head.id)
    assert to_head.text.startswith("待接收（#") and "12床 张*" in to_head.text
    sent = await ward.head.press(to_head, "拒收")
    assert last(sent, ward.nurse.id).text == "骨科病区未接收 12床 张三，患者仍在本病区。"
    assert (await stay_in(ward, general, "12")) is not None
    # Offered again, then withdrawn by the sender: the arrival's buttons no longer work.
    choose = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    sent = await ward.nurse.press(choose, "骨科病区")
    to_head = last(sent, ward.head.id)
    again = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    await ward.nurse.press(again, "骨科病区")
    assert "待接收的转科申请" in ward.emu.chat(ward.nurse.id).bot_messages()[-1].text
    assert (await ward.reply(ward.nurse, "/transfer 12 取消")) == (
        "【普外科一病区】已撤回转科申请：12床 张三"
    )
    late = await ward.head.press(to_head, "接收")
    assert last(late, ward.head.id).text == "【骨科病区】该转科申请已处理或已撤回。"
    assert (await stay_in(ward, ortho, "12")) is None
    async with ward.database.uow() as uow:
        assert await uow.transfers.pending_from(general) == []


async def test_the_senders_withdraw_button_takes_the_offer_back(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ortho = await second_ward(ward, bind=True)
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    choose = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    sent = await ward.nurse.press(choose, "骨科病区")
    notice = last(sent, ORTHO_GROUP)
    offered = ward.emu.chat(ward.nurse.id).find(choose.message_id)
    assert offered is not None and "【转出中】" in (await ward.board()).text
    async with ward.database.uow() as uow:
        assert len(await uow.transfers.pending_from(general)) == 1
    await ward.nurse.press(offered, "撤回申请")
    async with ward.database.uow() as uow:
        assert await uow.transfers.pending_from(general) == []
        assert await uow.transfers.pending_to(ortho) == []
    assert "【转出中】" not in (await ward.board()).text
    late = await ward.head.press(notice, "接收")
    assert all("张三" not in m.text for m in late)
    assert (await stay_in(ward, ortho, "12")) is None
    assert (await stay_in(ward, general, "12")) is not None


async def test_accept_into_another_bed_when_the_wanted_one_is_taken(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ortho = await second_ward(ward)
    await ward.say(ward.head, "/admit 12 王五 男 50")  # the head is in 骨科 now
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    choose = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    to_head = last(await ward.nurse.press(choose, "骨科病区"), ward.head.id)
    refused = last(await ward.head.press(to_head, "接收"), ward.head.id)
    number = to_head.text.split("#", 1)[1].split("）", 1)[0]
    assert refused.text == f"【骨科病区】12床已有患者。请指定其他床位：/accept {number} 床号"
    done = await ward.reply(ward.head, f"/accept {number} 14")
    assert done == "【骨科病区】✅ 已接收：14床 张三（来自普外科一病区）"
    assert (await stay_in(ward, ortho, "14")) is not None


async def test_forged_transfer_buttons_reveal_nothing(ward: Ward) -> None:
    await ward.ready()
    general = await ward.ward_id()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    async with ward.database.uow() as uow:
        stay_id = (await uow.stays.active_in_bed(general, "12")).id  # type: ignore[union-attr]
    await ward.reply(ward.stranger, "/newward 心内科病区")
    cardio = await ward.ward_id("心内科病区")
    probe = last(await ward.say(ward.stranger, "/help"), ward.stranger.id)
    for data in (
        f"xo:{general}:{stay_id}:12:{cardio}:=",  # offer a patient of a ward not hers
        f"xa:{general}:1",
        "xa:abc:1",
        "xo:1:2",
    ):
        sent = await ward.stranger.press(probe, callback_data=data)
        text = last(sent, ward.stranger.id).text
        assert text == "您不是本病区的成员，无法查看或修改。" and "张" not in text
    async with ward.database.uow() as uow:
        assert await uow.transfers.pending_to(cardio) == []


# --- the group is not a private place --------------------------------------------------------


@pytest.mark.parametrize("command", ["/card 12", "/sign 12", "/signs", "/labels 12", "/meds 12"])
async def test_patient_details_are_never_posted_in_the_group(ward: Ward, command: str) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎")
    await ward.say(ward.nurse, "/tag 12 过敏 青霉素")
    await ward.say(ward.nurse, "/line 12 PICC 右上臂")
    sent = await ward.say(ward.nurse, command, group=True)
    name = command.split()[0][1:]
    in_group = [m for m in sent if m.chat_id == GROUP_ID]
    assert [m.text for m in in_group] == [
        f"该命令会显示患者信息，请在与我的私聊中使用 /{name}（群里所有人都能看到）。"
    ]
    assert all(m.photo is None and m.document is None for m in in_group)


async def test_the_ward_chooses_whether_the_group_board_shows_notes(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    first = await ward.reply(ward.nurse, "/note 12 家属下午来")
    assert first.startswith("✅ 已添加备注：12床 张三 家属下午来\n提示：病区群里的所有人")
    assert "提示" not in await ward.reply(ward.nurse, "/note 12 已告知家属")
    assert "12床 张* 家属下午来" in (await ward.board()).text
    assert "只有护士长" in await ward.reply(ward.nurse, "/policy groupnotes off")
    assert "群白板显示备注等文字：关" in await ward.reply(ward.head, "/policy groupnotes off")
    board = (await ward.board()).text
    assert "家属" not in board and "12床 张* （内容请私聊查看）" in board
    assert "12床 张三 家属下午来" in await ward.reply(ward.nurse, "/board")
    assert (await ward.reply(ward.head, "/policy groupnotes maybe")).startswith(
        "「maybe」应为 on 或 off"
    )


async def test_a_mistyped_command_names_the_closest_one(ward: Ward) -> None:
    await ward.ready()
    assert await ward.reply(ward.nurse, "/dischage 12") == (
        "没有这个命令。您是想用 /discharge 吗？发送 /help 查看全部命令。"
    )
    assert await ward.reply(ward.nurse, "/xyzzy") == "没有命令 /xyzzy。发送 /help 查看全部命令。"


# --- the hospital boundary -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _hospital(
    database: Database, admins: str
) -> AsyncIterator[tuple[BotApiEmulator, EmuUser, EmuUser]]:
    clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu:
        it = emu.add_user(700, "信息科", language_code="zh-hans")
        someone = emu.add_user(701, "某人", language_code="zh-hans")
        async with running_bot(
            emu, database, clock, board_delay=0.05, board_min_interval=0.05, admins=admins
        ):
            yield emu, it, someone


async def _reply(user: EmuUser, text: str) -> str:
    return "\n".join(m.text for m in await user.say(text) if m.chat_id == user.id)


async def test_with_operators_only_they_create_wards(database: Database) -> None:
    async with _hospital(database, "700") as (_, it, someone):
        assert await _reply(someone, "/newward 私设病区") == "只有医院的系统管理员可以这样做。"
        assert "已创建病区" in await _reply(it, "/newward 普外科一病区 40")
    async with database.uow() as uow:
        assert [w.name for w in await uow.wards.all()] == ["普外科一病区"]


async def test_operators_added_from_the_server_count_too(
    database: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", database_url)
    monkeypatch.delenv("WARDBOARD_ADMINS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(main, ["admin", "list"]) == 0
    assert "没有管理员" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["admin", "add", "700", "--note", "IT"]) == 0
    assert await asyncio.to_thread(main, ["admin", "list"]) == 0
    assert "700\tIT" in capsys.readouterr().out
    async with _hospital(database, "") as (_, it, someone):
        assert "只有医院的系统管理员" in await _reply(someone, "/newward 私设病区")
        assert "已创建病区" in await _reply(it, "/newward 普外科一病区")
    assert await asyncio.to_thread(main, ["admin", "remove", "700"]) == 0
    assert await asyncio.to_thread(main, ["admin", "remove", "700"]) == 1
    async with _hospital(database, "") as (_, _it, someone):
        assert "已创建病区" in await _reply(someone, "/newward 心内科病区")


async def test_transfer_state_values_are_stable() -> None:
    # Stored in the database: renaming one would strand pending offers.
    assert [s.value for s in TransferState] == ["pending", "accepted", "rejected", "cancelled"]


async def test_with_operators_only_they_name_head_nurses(database: Database) -> None:
    async with _hospital(database, "700") as (emu, it, someone):
        await _reply(it, "/newward 普外科一病区 40")
        invite = await _reply(it, "/invite")
        payload = invite.split("?start=", 1)[1].split()[0]
        request = [m for m in await someone.say(f"/start {payload}") if m.chat_id == it.id][-1]
        await it.press(request, "批准")
        members = [m for m in await it.say("/members") if m.chat_id == it.id][-1]
        sent = await it.press(members, "设为护士长")
        assert "护士长" in [m for m in sent if m.chat_id == it.id][-1].text
        async with database.uow() as uow:
            ward = await uow.wards.by_name("普外科一病区")
            assert ward is not None
            head = await uow.members.get(ward.id, someone.id)
        assert head is not None and head.is_head
        # The new head manages her ward, but cannot name another head herself.
        third = emu.add_user(702, "张护士", language_code="zh-hans")
        invite = await _reply(someone, "/invite")
        payload = invite.split("?start=", 1)[1].split()[0]
        request = [m for m in await third.say(f"/start {payload}") if m.chat_id == someone.id]
        await someone.press(request[-1], "批准")
        listing = [m for m in await someone.say("/members") if m.chat_id == someone.id][-1]
        assert not any("设为护士长" in label for row in listing.buttons() for label, _ in row)
        forged = await someone.press(listing, callback_data=f"m:hd:{ward.id}:{third.id}")
        assert [m.text for m in forged if m.chat_id == someone.id][-1] == (
            "只有医院的系统管理员可以这样做。"
        )
        async with database.uow() as uow:
            still = await uow.members.get(ward.id, third.id)
        assert still is not None and not still.is_head


async def test_a_card_with_a_day_of_long_notes_still_fits_one_message(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    for n in range(30):
        if n % 15 == 14:
            ward.clock.advance(timedelta(minutes=1))  # inside her 20 actions a minute
        await ward.say(ward.nurse, f"/note 12 第{n}条 " + "观察" * 90)
    card = last(await ward.say(ward.nurse, "/card 12"), ward.nurse.id)
    assert len(card.text) <= 4096
    assert "第0条" in card.text and "…另有" in card.text
    assert card.text.endswith("ℹ️ 执行操作前请核对腕带。")


async def test_a_discharge_withdraws_the_patients_pending_transfer(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await second_ward(ward)
    await ward.reply(ward.nurse, "/ward 普外科一病区")
    choose = last(await ward.say(ward.nurse, "/transfer 12"), ward.nurse.id)
    to_head = last(await ward.nurse.press(choose, "骨科病区"), ward.head.id)
    await ward.say(ward.nurse, "/discharge 12")
    late = await ward.head.press(to_head, "接收")
    assert last(late, ward.head.id).text == "【骨科病区】该转科申请已处理或已撤回。"
    await ward.reply(ward.head, "/ward 骨科病区")
    assert "待接收" not in await ward.reply(ward.head, "/board")

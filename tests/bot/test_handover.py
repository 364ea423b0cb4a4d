"""The shift handover (交班) end to end: posted at the shift start once, 接班, /handover."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from boards import access, commands, services, tasks
from bot.emulator import ApiError, DropConnection, EmuMessage, Fault, Params
from bot.reminders import Dispatcher
from tests.bot.conftest import GROUP_ID, Shift, Ward

_TAKEN = "✅ 交班：李娜 · 接班：王芳 08:05"


def handovers(ward: Ward) -> list[EmuMessage]:
    return [m for m in ward.emu.chat(GROUP_ID).bot_messages() if m.text.startswith("🔄 ")]


def head_reminders(ward: Ward) -> list[str]:
    return [m.text for m in ward.emu.chat(ward.head.id).bot_messages() if "尚无人接班" in m.text]


async def _night_shift(ward: Ward) -> None:
    """07:30, the last half hour of the night shift: two patients arrive, one critical."""
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 一级")
    await ward.say(ward.nurse, "/tag 12 过敏 青霉素")
    await ward.say(ward.nurse, "/critical 12 病危")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    await ward.say(ward.nurse, "/admit 14 李四 女 60 肺炎 三级")
    await ward.say(ward.nurse, "/surgery 12 10:30 腹腔镜阑尾切除术")


async def _posted(ward: Ward) -> EmuMessage:
    await _night_shift(ward)
    ward.clock.advance(timedelta(minutes=30))  # 08:00, the day shift starts
    await ward.ticks()
    (message,) = handovers(ward)
    return message


async def test_the_handover_reaches_the_group_at_0800_once_masked(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await _night_shift(ward)
    ward.clock.advance(timedelta(minutes=29))  # 07:59: the night shift is still on
    await ward.ticks()
    assert handovers(ward) == []
    ward.clock.advance(timedelta(minutes=1))  # 08:00
    await ward.ticks()
    (message,) = handovers(ward)
    text = message.text
    assert text.startswith("🔄 交班报告 · 普外科一病区\n大夜班 11月23日 00:00–08:00\n")
    # I-PASS order: census, who arrived, the focus patients, the outgoing shift's figures.
    order = ["【本班病区情况】", "【新入病区】", "【重点患者】1 人", "【大夜班任务】", "⏳ 待接班"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert "原有 0 · 入院 2 · 转入 0 · 出院 0 · 转出 0 · 现有 2" in text
    assert "12床 张* 入院 07:30\n14床 李* 入院 07:30" in text
    assert "▌12床 张* · 病危 · 一级护理\n· 手术 10:30 腹腔镜阑尾切除术\n" in text
    assert "· 白班待办：08:00 阿莫西林 0.5g po\n本班新增标识：药物过敏" in text
    assert "按时 0 · 延迟 0 · 未给 0 · 未完成 0" in text
    # The group copy: masked names, no diagnosis, no allergens; 14床 (三级, nothing to do)
    # is no focus patient.
    for private in ("张三", "李四", "急性阑尾炎", "肺炎", "青霉素", "▌14床"):
        assert private not in text
    assert message.buttons() == [[("接班", message.buttons()[0][0][1])]]
    # More ticks, another minute, a second instance ticking at once: still one.
    await ward.ticks()
    other = Dispatcher(ward.runtime, owner="instance-b")
    mine = Dispatcher(ward.runtime, owner="instance-c")
    await asyncio.gather(other.run_once(ward.app.bot), mine.run_once(ward.app.bot))
    ward.clock.advance(timedelta(minutes=1))
    await ward.ticks()
    assert len(handovers(ward)) == 1


async def test_handover_in_private_has_full_names_and_the_diagnosis(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await _posted(ward)
    last = await ward.reply(ward.nurse, "/handover last")
    assert last.startswith("🔄 交班报告 · 普外科一病区\n大夜班 11月23日 00:00–08:00\n")
    assert "12床 张三 入院 07:30\n14床 李四 入院 07:30" in last
    assert "▌12床 张三 · 病危 · 一级护理\n诊断：急性阑尾炎\n⚠ 过敏：青霉素\n" in last
    # Bare: the shift running now, so far; its own remaining tasks.
    now = await ward.reply(ward.nurse, "/handover")
    assert now.startswith("🔄 交班报告 · 普外科一病区\n白班 11月23日 08:00–16:00（截至 08:00）")
    assert "原有 2 · 入院 0" in now and "未完成 1" in now
    # Never in the group, and never for a stranger.
    refused = await ward.reply(ward.nurse, "/handover", group=True)
    assert refused.startswith("该命令会显示患者信息，请在与我的私聊中使用 /handover")
    stranger = await ward.reply(ward.stranger, "/handover")
    assert stranger.startswith("您还没有加入病区。") and "张三" not in stranger


async def test_take_over_edits_the_message_and_is_audited(reminder_ward: Ward) -> None:
    ward = reminder_ward
    message = await _posted(ward)
    before = message.text
    ward.clock.advance(timedelta(minutes=5))  # 08:05
    await ward.stranger.press(message, "接班")
    answer = ward.emu.callback_answers[-1]
    assert answer["text"] == "您不是本病区的成员，无法查看或修改。"
    assert answer["show_alert"] is True
    assert message.text == before
    data = message.buttons()[0][0][1]
    await ward.head.press(message, "接班")
    assert message.text == before.replace("⏳ 待接班：接班护士请点「接班」", _TAKEN)
    assert message.buttons() == []
    # A second press (an old copy of the button) changes nothing.
    await ward.nurse.press(message, callback_data=data)
    assert ward.emu.callback_answers[-1]["text"] == "这份交班已有人接班。"
    assert message.text.endswith(_TAKEN)
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    (taken,) = [e for e in entries if e.action == "handover:take"]
    assert taken.actor_id == ward.head.id
    assert taken.after == {"handed_over_by": ward.nurse.id, "taken_over_by": ward.head.id}
    # Taken over in time: the head nurse is not reminded.
    ward.clock.advance(timedelta(minutes=40))
    await ward.ticks()
    assert head_reminders(ward) == []


async def test_not_taken_over_in_30_minutes_the_head_nurse_is_reminded_once(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await _posted(ward)
    ward.clock.advance(timedelta(minutes=29))  # 08:29
    await ward.ticks()
    assert head_reminders(ward) == []
    ward.clock.advance(timedelta(minutes=1))  # 08:30
    await ward.ticks()
    assert head_reminders(ward) == [
        "⏰ 【普外科一病区】大夜班交班（00:00–08:00）发出已超过 30 分钟，尚无人接班。"
    ]
    assert not any("尚无人接班" in m.text for m in ward.emu.chat(ward.nurse.id).bot_messages())
    ward.clock.advance(timedelta(minutes=30))
    await ward.ticks()
    assert len(head_reminders(ward)) == 1


async def test_the_ward_sets_its_take_over_window(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    assert "30 分钟无人接班提醒护士长" in await ward.reply(ward.nurse, "/policy")
    changed = await ward.reply(ward.head, "/policy handover 45")
    assert changed.startswith("✅ 已更新") and "45 分钟无人接班提醒护士长" in changed
    assert (await ward.reply(ward.head, "/policy handover 0")).startswith(
        "分钟数应在 1–720 之间。"
    )
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ward.ticks()
    assert len(handovers(ward)) == 1
    ward.clock.advance(timedelta(minutes=44))
    await ward.ticks()
    assert head_reminders(ward) == []
    ward.clock.advance(timedelta(minutes=1))
    await ward.ticks()
    assert len(head_reminders(ward)) == 1


async def test_a_ward_created_at_the_shift_start_gets_no_handover_for_it(ward: Ward) -> None:
    # 08:00: the night shift ended as the ward was made; nothing to hand over.
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.runtime.extras.setdefault("dispatcher", Dispatcher(ward.runtime)).run_once(
        ward.app.bot
    )
    await ward.emu.settle()
    assert handovers(ward) == []


async def test_the_handover_follows_a_group_upgraded_to_a_supergroup(reminder_ward: Ward) -> None:
    ward = reminder_ward
    basic = -4518810793
    await ward.create_ward()
    await ward.join_nurse()
    group = ward.emu.add_group(
        basic, "普外一病区群", members=[ward.nurse], creator=ward.head, type="group"
    )
    await ward.head.say("/bind", chat=group)
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 一级")
    # Upgraded unannounced, and no reminder due to find it out first.
    new_id = ward.emu.migrate_to_supergroup(basic, notify=False)
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ward.ticks(10)
    moved = [m for m in ward.emu.chat(new_id).bot_messages() if m.text.startswith("🔄 ")]
    assert len(moved) == 1 and "12床 张*" in moved[0].text
    assert not [m for m in ward.emu.chat(basic).bot_messages() if m.text.startswith("🔄 ")]
    ward.clock.advance(timedelta(minutes=1))
    await ward.ticks()
    assert len([m for m in ward.emu.chat(new_id).bot_messages() if m.text.startswith("🔄 ")]) == 1


async def _admit_60(ward: Ward) -> None:
    """Sixty patients, each on q6h, straight through the services (a nurse typing 120
    commands meets her own per-person allowance first)."""
    actor = access.Actor(ward.nurse.id, "李娜")
    async with ward.database.uow() as uow:
        record = await uow.wards.get(await ward.ward_id())
        assert record is not None
        for bed in range(1, 61):
            a = commands.parse_admit(
                [str(bed), "欧阳明华", "男", "45", "急性阑尾炎", "一级"], bed_count=60
            )
            await services.admit(
                uow,
                ward.clock,
                actor=actor,
                ward=record,
                bed=a.bed,
                name=a.name,
                sex=a.sex,
                age=a.age,
                diagnosis=a.diagnosis,
                level=a.level,
            )
            med = ["注射用头孢呋辛钠", "1.5g", "ivgtt", "q6h"]
            args = tasks.parse_med_args(med, now=ward.clock.now(), tz=ZoneInfo("Asia/Shanghai"))
            await tasks.prescribe(uow, ward.clock, actor=actor, ward=record, bed=a.bed, args=args)
        await uow.commit()
    ward.runtime.publisher.request(record.id)


async def test_a_60_bed_ward_gets_its_handover_in_several_messages(reminder_ward: Ward) -> None:
    ward = reminder_ward
    assert "已创建病区" in await ward.reply(ward.head, "/newward 普外科一病区 60")
    await ward.join_nurse()
    await ward.bind_group()
    await _admit_60(ward)
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ward.ticks()
    messages = handovers(ward)
    assert len(messages) >= 2
    assert messages[0].text.startswith("🔄 交班报告 · 普外科一病区\n大夜班")
    for n, message in enumerate(messages[1:], start=2):
        assert message.text.startswith(f"🔄 普外科一病区 · 大夜班交班（续 {n}/{len(messages)}）")
    assert all(len(m.text) <= 4096 for m in messages)
    # Every bed once, masked; only the last message carries 接班.
    shown = [line for m in messages for line in m.text.splitlines() if line.startswith("▌")]
    assert shown == [f"▌{bed}床 欧**华 · 一级护理" for bed in range(1, 61)]
    assert [bool(m.buttons()) for m in messages] == [False] * (len(messages) - 1) + [True]
    ward.clock.advance(timedelta(minutes=5))
    await ward.head.press(messages[-1], "接班")
    assert messages[-1].text.endswith(_TAKEN)


# --- restarts ---------------------------------------------------------------------------


async def test_down_at_0800_the_handover_comes_late_once_across_restarts(
    shift: Shift,
) -> None:
    async with shift.bot() as ward:
        await _night_shift(ward)
    shift.clock.advance(timedelta(minutes=40))  # 08:10: the bot was down at 08:00
    async with shift.bot() as ward:
        await ward.ticks()
        (message,) = handovers(ward)
        assert message.text.startswith("🔄 交班报告 · 普外科一病区\n大夜班 11月23日 00:00–08:00")
    async with shift.bot() as ward:
        await ward.ticks()
        ward.clock.advance(timedelta(minutes=1))
        await ward.ticks()
        assert len(handovers(ward)) == 1
        # The button of the message posted before the restart still works.
        await ward.head.press(handovers(ward)[0], "接班")
        assert handovers(ward)[0].text.endswith("✅ 交班：李娜 · 接班：王芳 08:11")


async def test_a_later_part_of_the_handover_lost_on_the_way_is_sent_again(
    reminder_ward: Ward,
) -> None:
    # The second of the 60-bed report's messages meets a dropped connection, then a 502:
    # the first is out already, so the rest is tried again at once, and the last message,
    # the one with 接班, still arrives.
    ward = reminder_ward
    assert "已创建病区" in await ward.reply(ward.head, "/newward 普外科一病区 60")
    await ward.join_nurse()
    await ward.bind_group()
    await _admit_60(ward)
    plan: list[Fault] = [DropConnection(), ApiError(502, "Bad Gateway")]

    def rule(method: str, params: Params) -> Fault | None:
        second = str(params.get("text", "")).startswith("🔄 普外科一病区 · 大夜班交班（续 2/")
        return plan.pop(0) if method == "sendMessage" and second and plan else None

    ward.emu.set_fault(rule)
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ward.ticks()
    await ward.emu.wait_for(lambda: any(m.buttons() for m in handovers(ward)))
    assert plan == []
    messages = handovers(ward)
    shown = [line for m in messages for line in m.text.splitlines() if line.startswith("▌")]
    assert shown == [f"▌{bed}床 欧**华 · 一级护理" for bed in range(1, 61)]
    assert [bool(m.buttons()) for m in messages] == [False] * (len(messages) - 1) + [True]
    await ward.head.press(messages[-1], "接班")
    assert "接班：王芳" in messages[-1].text

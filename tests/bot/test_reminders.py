"""Medication reminders in the ward group: on the minute, once, with a done button."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.conftest import GROUP_ID, Ward


def reminders(ward: Ward) -> list[str]:
    return [m.text for m in ward.emu.chat(GROUP_ID).bot_messages() if m.text.startswith("⏰")]


async def ticks(ward: Ward, n: int = 5) -> None:
    """Let the dispatcher finish `n` more ticks at the current (manual) time (counted)."""
    await ward.ticks(n)


async def test_the_0800_dose_arrives_at_0800_once_and_done_is_recorded(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    reply = await ward.reply(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    assert reply.startswith("✅ 已录入医嘱 1：12床 张三 阿莫西林 0.5g po bid\n接下来：08:00")

    ward.clock.advance(timedelta(minutes=29))  # 07:59
    await ticks(ward)
    assert reminders(ward) == []

    ward.clock.advance(timedelta(minutes=1))  # 08:00
    await ticks(ward)
    await ticks(ward)
    (text,) = reminders(ward)
    assert text == "⏰ 08:00 提醒\n▫ 12床 张* · 阿莫西林 0.5g po"

    message = next(m for m in ward.emu.chat(GROUP_ID).bot_messages() if m.text == text)
    ward.clock.advance(timedelta(minutes=3))
    await ward.nurse.press(message, "✅ 12床")
    assert message.text == "⏰ 08:00 提醒\n✅ 12床 张* · 阿莫西林 0.5g po — 已执行（李娜 08:03）"
    assert [label for row in message.buttons() for label, _ in row] == ["✅ 12床"]
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    assert [e.action for e in entries].count("task:done") == 1

    # A non-member cannot tick it off; the board's reminder area shows the next slot.
    board = (await ward.board()).text
    assert "【提醒】\n下一时段 16:00（1项）" in board


async def test_stopping_an_order_removes_only_its_future_reminders(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    assert len(reminders(ward)) == 1
    stopped = await ward.reply(ward.nurse, "/stopmed 12 1")
    assert stopped.startswith("✅ 已停医嘱 1：12床 张三")
    ward.clock.advance(timedelta(hours=8))  # 16:00
    await ticks(ward)
    assert len(reminders(ward)) == 1
    meds = await ward.reply(ward.nurse, "/meds 12")
    assert "1. 阿莫西林 0.5g po bid · 已停" in meds


async def test_bad_orders_are_refused_and_change_nothing(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    assert (await ward.reply(ward.nurse, "/med 12 阿莫西林 0.5 po bid")).startswith(
        "剂量「0.5」缺少单位"
    )
    assert (await ward.reply(ward.nurse, "/med 12 阿莫西林 0.5g po 每周")).startswith(
        "频次「每周」无法识别"
    )
    assert (await ward.reply(ward.nurse, "/remind 12 07:00 复测血糖")).startswith("提醒时间已过。")
    assert "暂无医嘱。" in await ward.reply(ward.nurse, "/meds 12")


async def test_head_nurse_sets_the_clock_times_for_future_tasks(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    shown = await ward.reply(ward.nurse, "/policy")
    assert "bid: 08:00 16:00" in shown and "提前 0 分钟提醒，30 分钟未执行视为逾期" in shown
    assert await ward.reply(ward.nurse, "/policy bid 09:00 17:00") == "只有护士长可以这样做。"
    wrong = await ward.reply(ward.head, "/policy bid 09:00")
    assert wrong.startswith("bid 需要 2 个时间，现有 1 个。")
    assert (await ward.reply(ward.head, "/policy lead 十")).startswith("「十」不是分钟数。")
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    changed = await ward.reply(ward.head, "/policy bid 09:00 17:00")
    assert changed.startswith("✅ 已更新") and "bid: 09:00 17:00" in changed
    ward.clock.advance(timedelta(minutes=30))  # 08:00: the old time no longer reminds
    await ticks(ward)
    assert reminders(ward) == []
    ward.clock.advance(timedelta(hours=1))  # 09:00
    await ticks(ward)
    assert reminders(ward) == ["⏰ 09:00 提醒\n▫ 12床 张* · 阿莫西林 0.5g po"]


async def test_lines_bring_their_care_tasks(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/line 12 留置针 左前臂 昨天 8:00")
    ward.clock.advance(timedelta(hours=1, minutes=30))  # 09:00, day shift
    listed = await ward.reply(ward.nurse, "/tasks")
    assert "10:00 12床 张三 · 外周静脉留置针：穿刺部位评估" in listed
    await ward.say(ward.nurse, "/unline 12 1")
    assert "穿刺部位评估" not in await ward.reply(ward.nurse, "/tasks")


async def test_line_care_intervals_and_external_orders(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    shown = await ward.reply(ward.head, "/policy")
    assert "picc dressing:" in shown and "picc dressing: " in shown.split("导管护理")[1]
    changed = await ward.reply(ward.head, "/policy care picc dressing 2d")
    assert changed.startswith("✅ 已更新") and "picc dressing:" in changed and " 2d" in changed
    assert (await ward.reply(ward.head, "/policy care picc dressing 5x")).startswith(
        "间隔「5x」无法识别"
    )
    assert (await ward.reply(ward.head, "/policy care picc teatime 2d")).startswith(
        "没有导管护理项目「picc teatime」"
    )
    assert (await ward.reply(ward.head, "/policy care piv site_check 36h")).startswith(
        "按固定时刻执行的项目，间隔须为整天"
    )
    # A line is named as /line names it; "ng" is also how /policy spelt it before.
    for word, days in (("ng", 3), ("胃管", 4)):
        changed = await ward.reply(ward.head, f"/policy care {word} position_check {days}d")
        assert f"\nngt position_check: 检查胃管位置及固定 {days}d 10:00\n" in changed
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 红霉素软膏 1支 外用 bid")
    await ward.say(ward.nurse, "/med 12 头孢呋辛 1.5g ivgtt bid")
    meds = await ward.reply(ward.nurse, "/meds 12")
    assert "1. 红霉素软膏 1支 topical bid 【外用】" in meds
    assert "2. 头孢呋辛 1.5g ivgtt bid 【静脉】" in meds


async def test_a_daily_reminder_repeats_until_stopped(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    assert (await ward.reply(ward.nurse, "/remind 12 每天 8:00 测体重")).startswith(
        "✅ 已设提醒：12床 张三 每天 08:00 测体重"
    )
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    assert reminders(ward) == ["⏰ 08:00 提醒\n▫ 12床 张* · 测体重"]
    assert "1. 每天 08:00 测体重" in await ward.reply(ward.nurse, "/meds 12")
    assert (await ward.reply(ward.nurse, "/stopremind 12 1")).startswith(
        "✅ 已停提醒 1：12床 张三"
    )
    ward.clock.advance(timedelta(days=1))
    await ticks(ward)
    assert len(reminders(ward)) == 1
    assert (await ward.reply(ward.nurse, "/stopremind 12 1")).startswith("第 1 条提醒已停止。")


async def test_head_nurse_moves_a_shift(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    moved = await ward.reply(ward.head, "/policy shift 白班 07:30")
    assert moved.startswith("✅ 已更新") and "白班 07:30" in moved
    assert (await ward.reply(ward.head, "/policy shift 早班 07:00")).startswith(
        "没有「早班」这个班次"
    )
    assert (await ward.reply(ward.head, "/policy shift 白班 7点99")).startswith(
        "时间「7点99」无法识别"
    )

"""Reminder delivery under trouble: every reminder reaches the ward group exactly once.

Restarts mid-slot, 5xx and 429 storms, downtime, two dispatchers on one database,
escalation, the buttons pressed twice, stale, forged or by strangers, one task's row of
a message at a time, and /tasks on a shift too busy for one message.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from boards import access, commands, services, tasks
from boards.model import TaskOccurrence, TaskStatus
from boards.ports import UnitOfWork
from boards.tasks import delivery
from bot.emulator import ApiError, BotApiEmulator, EmuMessage, HoldAnswer, Params
from bot.reminders import Dispatcher
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, Shift, Ward

_TZ = ZoneInfo("Asia/Shanghai")
_LINE = re.compile(r"^[▫✅✖] (\d+)床 ", re.MULTILINE)
_TASK = re.compile(r"^t:\d+:(\d+):")  # t:<ward>:<task>:<action>


# --- helpers ----------------------------------------------------------------------------


def reminder_messages(ward: Ward) -> list[EmuMessage]:
    return [m for m in ward.emu.chat(GROUP_ID).bot_messages() if m.text.startswith("⏰")]


def delivered_tasks(ward: Ward) -> Counter[int]:
    """How many times each task id was carried by a reminder message (one button row each)."""
    counts: Counter[int] = Counter()
    for message in reminder_messages(ward):
        for row in message.buttons():
            ids = {int(m.group(1)) for _, data in row if (m := _TASK.match(data))}
            counts.update(ids)
    return counts


def delivered_beds(ward: Ward) -> Counter[str]:
    """How many task lines each bed got across all reminder messages."""
    return Counter(bed for m in reminder_messages(ward) for bed in _LINE.findall(m.text))


def overdue_notices(ward: Ward) -> list[str]:
    return [m.text for m in ward.emu.chat(GROUP_ID).bot_messages() if m.text.startswith("⚠ 逾期")]


async def ticks(ward: Ward, n: int = 5) -> None:
    """Let the dispatcher finish `n` more ticks at the current (manual) time (counted)."""
    await ward.ticks(n)


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def admit_with_bid(ward: Ward, beds: list[int]) -> None:
    """Admit a patient to each bed with 阿莫西林 po bid, straight through the services (fast)."""
    ward_id = await ward.ward_id()
    actor = access.Actor(ward.nurse.id, "李娜")
    async with ward.database.uow() as uow:
        record = await uow.wards.get(ward_id)
        assert record is not None
        for bed in beds:
            a = commands.parse_admit([str(bed), "张三", "男", "45"], bed_count=record.bed_count)
            await services.admit(
                uow,
                ward.clock,
                actor=actor,
                ward=record,
                bed=a.bed,
                name=a.name,
                sex=a.sex,
                age=a.age,
            )
            args = tasks.parse_med_args(
                ["阿莫西林", "0.5g", "po", "bid"], now=ward.clock.now(), tz=_TZ
            )
            await tasks.prescribe(uow, ward.clock, actor=actor, ward=record, bed=a.bed, args=args)
        await uow.commit()


async def ward_tasks(ward: Ward) -> list[TaskOccurrence]:
    async with ward.database.uow() as uow:
        stays = await uow.stays.active(await ward.ward_id())
        return await uow.tasks.of_stays([s.id for s in stays])


async def due_tasks(ward: Ward) -> list[TaskOccurrence]:
    now = ward.clock.now()
    return [t for t in await ward_tasks(ward) if t.due_at <= now]


async def assert_each_sent_once(ward: Ward) -> list[TaskOccurrence]:
    due = await due_tasks(ward)
    assert due
    assert delivered_tasks(ward) == Counter({t.id: 1 for t in due})
    assert all(t.sent_at is not None for t in due)
    return due


# --- a bot that can be stopped and started again on one emulator, database and clock ------


def _reminder_fault(broken: list[bool]) -> Callable[[str, Params], ApiError | None]:
    def rule(method: str, params: Params) -> ApiError | None:
        text = str(params.get("text", ""))
        if broken[0] and method == "sendMessage" and text.startswith("⏰"):
            return ApiError(500, "Internal Server Error")
        return None

    return rule


def _failed_reminders(emu: BotApiEmulator) -> int:
    return sum(
        1
        for call in emu.requests
        if call.method == "sendMessage"
        and not call.ok
        and str(call.params.get("text", "")).startswith("⏰")
    )


# --- 1. restart -----------------------------------------------------------------------------


async def test_a_restart_while_the_group_is_unreachable_loses_and_repeats_nothing(
    shift: Shift,
) -> None:
    broken = [True]
    async with shift.bot() as ward:
        await ward.ready()
        for bed in (11, 12, 13):
            await ward.say(ward.nurse, f"/admit {bed} 张三 男 45")
            await ward.say(ward.nurse, f"/med {bed} 阿莫西林 0.5g po bid")
        shift.emu.set_fault(_reminder_fault(broken))
        ward.clock.advance(timedelta(minutes=30))  # 08:00
        await until(lambda: _failed_reminders(shift.emu) >= 2)
    assert reminders_sent(shift) == 0
    broken[0] = False
    async with shift.bot() as ward:
        await ticks(ward, 8)
        assert delivered_beds(ward) == Counter({"11": 1, "12": 1, "13": 1})
        (message,) = reminder_messages(ward)
        assert message.text.startswith("⏰ 08:00 提醒\n")
        due = await assert_each_sent_once(ward)
        assert {t.message_id for t in due} == {message.message_id}


def reminders_sent(shift: Shift) -> int:
    return sum(1 for m in shift.emu.chat(GROUP_ID).bot_messages() if m.text.startswith("⏰"))


async def test_a_restart_after_the_first_of_two_messages_sends_only_the_rest(
    shift: Shift,
) -> None:
    # 23 patients: two messages for the 08:00 slot (20 + 3). The first goes out, then the
    # group becomes unreachable and the bot is restarted.
    broken = [False]

    def rule(method: str, params: Params) -> ApiError | None:
        if method == "sendMessage" and str(params.get("text", "")).startswith("⏰"):
            if broken[0]:
                return ApiError(500, "Internal Server Error")
            broken[0] = True  # this one passes; every later one fails until repaired
        return None

    beds = list(range(1, 24))
    async with shift.bot() as ward:
        await ward.ready()
        await admit_with_bid(ward, beds)
        shift.emu.set_fault(rule)
        ward.clock.advance(timedelta(minutes=30))  # 08:00
        await until(lambda: _failed_reminders(shift.emu) >= 2)
        assert reminders_sent(shift) == 1
    shift.emu.set_fault(None)
    async with shift.bot() as ward:
        await ticks(ward, 8)
        assert delivered_beds(ward) == Counter({str(bed): 1 for bed in beds})
        assert len(reminder_messages(ward)) == 2
        await assert_each_sent_once(ward)


# --- 2. 5xx and 429 -------------------------------------------------------------------------


async def test_a_storm_of_500s_and_429s_still_delivers_each_reminder_once(
    shift: Shift,
) -> None:
    async with shift.bot() as ward:
        await ward.ready()
        for bed in (11, 12, 13):
            await ward.say(ward.nurse, f"/admit {bed} 张三 男 45")
            await ward.say(ward.nurse, f"/med {bed} 阿莫西林 0.5g po bid")
        ward.emu.inject_failures("sendMessage", 3, error_code=500)
        ward.emu.inject_failures("sendMessage", 2, error_code=429, retry_after=1)
        ward.clock.advance(timedelta(minutes=30))  # 08:00
        await until(lambda: reminders_sent(shift) >= 1)
        await ticks(ward, 8)
        assert delivered_beds(ward) == Counter({"11": 1, "12": 1, "13": 1})
        assert len(reminder_messages(ward)) == 1
        assert sum(1 for r in ward.emu.rate_limited if r.injected) == 2
        await assert_each_sent_once(ward)


async def test_a_tick_outlasting_the_interval_is_not_started_twice_nor_logged(
    shift: Shift, caplog: pytest.LogCaptureFixture
) -> None:
    async with shift.bot() as ward:
        await ward.ready()
        for bed in (11, 12):
            await ward.say(ward.nurse, f"/admit {bed} 张三 男 45")
            await ward.say(ward.nurse, f"/med {bed} 阿莫西林 0.5g po bid")
        # Telegram posts the 08:00 message at once but answers a second later: the tick
        # that sends it lasts ten times the 0.1 s interval.
        ward.emu.inject_faults("sendMessage", HoldAnswer(1.0, accepted=True))
        caplog.set_level(logging.WARNING)
        ward.clock.advance(timedelta(minutes=30))  # 08:00
        await until(lambda: reminders_sent(shift) >= 1)
        await ticks(ward, 4)
        assert not [r for r in caplog.records if r.name.startswith("apscheduler")]
        dispatcher = ward.runtime.extras["dispatcher"]
        assert dispatcher.skipped >= 3  # the ticks that came meanwhile returned at once
        assert delivered_beds(ward) == Counter({"11": 1, "12": 1})
        await assert_each_sent_once(ward)


# --- 3. downtime ----------------------------------------------------------------------------


async def test_reminders_missed_while_down_arrive_once_in_one_late_message(
    shift: Shift,
) -> None:
    async with shift.bot() as ward:
        await ward.ready()
        for bed in (11, 12, 13):
            await ward.say(ward.nurse, f"/admit {bed} 张三 男 45")
            await ward.say(ward.nurse, f"/med {bed} 阿莫西林 0.5g po bid")
        await ward.say(ward.nurse, "/remind 12 09:00 复测血糖")
    shift.clock.advance(timedelta(hours=3))  # 10:30: the 08:00 and 09:00 slots were missed
    async with shift.bot() as ward:
        await ticks(ward, 8)
        (message,) = reminder_messages(ward)
        lines = message.text.splitlines()
        assert lines[0] == "⏰ 补发：停机期间到期的任务"
        assert lines[1:] == [
            "▫ 11床 张* · 08:00 阿莫西林 0.5g po",
            "▫ 12床 张* · 08:00 阿莫西林 0.5g po",
            "▫ 13床 张* · 08:00 阿莫西林 0.5g po",
            "▫ 12床 张* · 09:00 复测血糖",
        ]
        due = await assert_each_sent_once(ward)
        assert len(due) == 4
        assert all(t.late for t in due)
        # More ticks later on: nothing is sent again.
        ward.clock.advance(timedelta(minutes=5))
        await ticks(ward)
        assert len(reminder_messages(ward)) == 1


# --- 4. two dispatchers on one database ----------------------------------------------------


async def test_two_dispatchers_on_one_database_never_send_a_task_twice(
    ward: Ward, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two bot instances share a database only on PostgreSQL")
    await ward.ready()
    beds = list(range(1, 41))
    await admit_with_bid(ward, beds)
    # Small claims, so the two interleave rather than one taking everything at once.
    monkeypatch.setattr(tasks, "CLAIM_LIMIT", 3)
    monkeypatch.setattr(delivery, "CLAIM_LIMIT_MAX", 3)
    ward.clock.advance(timedelta(hours=8))  # 16:00 (the fixture's own tick runs hourly)
    other = Database(database_url)
    try:
        first = Dispatcher(ward.runtime, owner="instance-a")
        second = Dispatcher(replace(ward.runtime, uow_factory=other.uow), owner="instance-b")
        for _ in range(3):
            await asyncio.gather(first.run_once(ward.app.bot), second.run_once(ward.app.bot))
    finally:
        await other.dispose()
    await ward.emu.settle()
    # Each bed: its 08:00 dose (late by now: the fixture's tick runs hourly) and its 16:00.
    assert delivered_beds(ward) == Counter({str(bed): 2 for bed in beds})
    due = await assert_each_sent_once(ward)
    assert len(due) == 80
    # Claims of 3 from two instances, yet the ward's two slots (the late one and 16:00's)
    # went out whole, by one claimer each: full messages of 20, none cut by a claim.
    assert sorted(len(_LINE.findall(m.text)) for m in reminder_messages(ward)) == [20] * 4


async def test_a_slot_claimed_over_several_batches_still_goes_out_in_full_messages(
    ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dispatcher sends each batch of claims as it comes; a ward whose 08:00 round is
    # longer than a claim (7, then growing to 14) is claimed whole all the same, and gets
    # 20 + 13, not a message per batch.
    await ward.ready()
    beds = list(range(1, 34))
    await admit_with_bid(ward, beds)
    monkeypatch.setattr(tasks, "CLAIM_LIMIT", 7)
    monkeypatch.setattr(delivery, "CLAIM_LIMIT_MAX", 14)
    claim_due = tasks.claim_due
    claims: list[tuple[int, int]] = []

    async def counted(uow: UnitOfWork, **kwargs: Any) -> list[TaskOccurrence]:
        got = await claim_due(uow, **kwargs)
        claims.append((kwargs["limit"], len(got)))
        return got

    monkeypatch.setattr(tasks, "claim_due", counted)
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await Dispatcher(ward.runtime, owner="batches").run_once(ward.app.bot)
    await ward.emu.settle()
    assert claims == [(7, 33), (14, 0)]
    assert [len(_LINE.findall(m.text)) for m in reminder_messages(ward)] == [20, 13]
    assert delivered_beds(ward) == Counter({str(bed): 1 for bed in beds})
    await assert_each_sent_once(ward)


# --- 5. escalation --------------------------------------------------------------------------


async def test_an_unticked_dose_is_escalated_once_and_counted_on_the_board(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    assert len(reminder_messages(ward)) == 1
    ward.clock.advance(timedelta(minutes=29))  # 08:29: still inside the window
    await ticks(ward)
    assert overdue_notices(ward) == []
    ward.clock.advance(timedelta(minutes=1))  # 08:30
    await ticks(ward)
    assert overdue_notices(ward) == [
        "⚠ 逾期未执行（1项）\n12床 张* · 阿莫西林 0.5g po（应于 08:00）"
    ]
    for _ in range(3):
        ward.clock.advance(timedelta(minutes=10))
        await ticks(ward, 3)
    assert len(overdue_notices(ward)) == 1
    assert "⚠ 逾期 1" in (await ward.board()).text
    (task,) = await due_tasks(ward)
    assert task.escalated_at is not None


# --- 6. buttons -----------------------------------------------------------------------------


async def _sent_reminder(ward: Ward) -> EmuMessage:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    (message,) = reminder_messages(ward)
    return message


async def _done_audits(ward: Ward) -> int:
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    return [e.action for e in entries].count("task:done")


async def test_done_pressed_twice_or_stale_is_recorded_once(reminder_ward: Ward) -> None:
    ward = reminder_ward
    message = await _sent_reminder(ward)
    (task,) = await due_tasks(ward)
    ward.clock.advance(timedelta(minutes=2))
    await ward.nurse.press(message, "✅ 12床")
    assert ward.emu.callback_answers[-1]["text"] == "已记录"
    assert message.text.endswith("— 已执行（李娜 08:02）")

    # The button is now an info button: pressing it changes nothing.
    ward.clock.advance(timedelta(minutes=1))
    await ward.head.press(message, "✅ 12床")
    # A stale client still showing the old keyboard sends the done callback again.
    await ward.head.press(message, callback_data=f"t:{task.ward_id}:{task.id}:d")
    answer = ward.emu.callback_answers[-1]
    assert answer["text"] == "该任务已处理（08:02），未做更改。"
    assert answer["show_alert"] is True
    assert await _done_audits(ward) == 1
    (after,) = await due_tasks(ward)
    assert after.status is TaskStatus.DONE
    assert after.done_by == ward.nurse.id
    assert message.text.endswith("— 已执行（李娜 08:02）")
    assert ward.emu.unanswered_callback_queries == []


async def test_skip_asks_for_a_reason_and_records_it(reminder_ward: Ward) -> None:
    ward = reminder_ward
    message = await _sent_reminder(ward)
    await ward.nurse.press(message, "✖ 未执行")
    labels = [label for row in message.buttons() for label, _ in row]
    assert labels == [
        "患者拒绝",
        "外出检查/不在床旁",
        "禁食/术前",
        "医嘱暂停",
        "其他（见护理记录）",
        "↩ 返回（12床）",
    ]
    (task,) = await due_tasks(ward)
    assert task.status is TaskStatus.PENDING  # nothing recorded before a reason is chosen
    await ward.nurse.press(message, "患者拒绝")
    assert (
        message.text.splitlines()[1] == "✖ 12床 张* · 阿莫西林 0.5g po — 未执行：患者拒绝（李娜）"
    )
    assert [label for row in message.buttons() for label, _ in row] == ["✖ 12床"]
    (task,) = await due_tasks(ward)
    assert task.status is TaskStatus.SKIPPED
    assert task.skip_reason == "患者拒绝"


async def test_a_non_member_cannot_tick_a_task_off(reminder_ward: Ward) -> None:
    ward = reminder_ward
    message = await _sent_reminder(ward)
    before = message.text
    await ward.stranger.press(message, "✅ 12床")
    answer = ward.emu.callback_answers[-1]
    assert answer["text"] == "您不是本病区的成员，无法查看或修改。"
    assert answer["show_alert"] is True
    assert message.text == before
    (task,) = await due_tasks(ward)
    assert task.status is TaskStatus.PENDING
    assert await _done_audits(ward) == 0


# --- 7. buttons of a slot with several tasks: members only, one row at a time ---------------

_NORMAL_ROW = ["✅ {bed}床", "⏰ 15分钟后", "✖ 未执行"]
_REASONS = ["患者拒绝", "外出检查/不在床旁", "禁食/术前", "医嘱暂停", "其他（见护理记录）"]


async def _three_task_slot(ward: Ward) -> tuple[EmuMessage, list[TaskOccurrence]]:
    """One 08:00 message carrying beds 11, 12 and 13, in that order, and its tasks."""
    await ward.ready()
    await admit_with_bid(ward, [11, 12, 13])
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    (message,) = reminder_messages(ward)
    await ward.board()  # the board's own refresh is done: whatever the bot says next is news
    due = sorted(await due_tasks(ward), key=lambda t: t.id)
    assert len(due) == 3
    return message, due


def labels(message: EmuMessage) -> list[list[str]]:
    return [[label for label, _ in row] for row in message.buttons()]


def normal(bed: int) -> list[str]:
    return [label.format(bed=bed) for label in _NORMAL_ROW]


def data_of(message: EmuMessage, task: TaskOccurrence, action: str) -> str:
    """The callback data of one of the message's buttons, checking it is on the keyboard."""
    wanted = f"t:{task.ward_id}:{task.id}:{action}"
    assert wanted in [data for row in message.buttons() for _, data in row], wanted
    return wanted


async def statuses(ward: Ward, due: list[TaskOccurrence]) -> list[TaskStatus]:
    async with ward.database.uow() as uow:
        return [t.status for t in await uow.tasks.many([t.id for t in due])]


async def test_a_non_member_in_the_group_changes_nothing_on_any_button(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    message, due = await _three_task_slot(ward)
    before = (message.text, message.buttons(), message.edit_count)
    presses = [
        data_of(message, due[1], "d"),
        data_of(message, due[1], "k"),
        data_of(message, due[1], "z"),
        # Forged: a reason straight away, and an old-style button without a ward.
        f"t:{due[1].ward_id}:{due[1].id}:r:refused",
        f"t:{due[1].id}:k",
    ]
    for data in presses:
        sent = await ward.stranger.press(message, callback_data=data)
        answer = ward.emu.callback_answers[-1]
        assert answer["text"] == "您不是本病区的成员，无法查看或修改。", data
        assert answer["show_alert"] is True
        assert sent == []  # not a word in the group either
    assert (message.text, message.buttons(), message.edit_count) == before
    assert await statuses(ward, due) == [TaskStatus.PENDING] * 3
    assert await _done_audits(ward) == 0
    assert ward.emu.unanswered_callback_queries == []


async def test_not_given_opens_only_its_own_row_and_back_restores_it(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    message, due = await _three_task_slot(ward)
    text = message.text
    assert labels(message) == [normal(11), normal(12), normal(13)]

    await ward.nurse.press(message, callback_data=data_of(message, due[1], "k"))
    assert labels(message) == [
        normal(11),
        *([reason] for reason in _REASONS),
        ["↩ 返回（12床）"],
        normal(13),
    ]
    assert message.text == text
    # The reasons are bed 12's; beds 11 and 13 keep their own buttons.
    data_of(message, due[0], "d")
    data_of(message, due[2], "k")
    data_of(message, due[1], "r:refused")
    assert await statuses(ward, due) == [TaskStatus.PENDING] * 3

    await ward.nurse.press(message, "↩ 返回（12床）")
    assert labels(message) == [normal(11), normal(12), normal(13)]
    assert message.text == text

    await ward.nurse.press(message, callback_data=data_of(message, due[1], "k"))
    await ward.nurse.press(message, "患者拒绝")
    assert ward.emu.callback_answers[-1]["text"] == "已记录"
    assert message.text.splitlines()[1:] == [
        "▫ 11床 张* · 阿莫西林 0.5g po",
        "✖ 12床 张* · 阿莫西林 0.5g po — 未执行：患者拒绝（李娜）",
        "▫ 13床 张* · 阿莫西林 0.5g po",
    ]
    assert labels(message) == [normal(11), ["✖ 12床"], normal(13)]
    assert await statuses(ward, due) == [
        TaskStatus.PENDING,
        TaskStatus.SKIPPED,
        TaskStatus.PENDING,
    ]

    # The others still work, and the message keeps all three rows.
    await ward.nurse.press(message, "✅ 13床")
    assert labels(message) == [normal(11), ["✖ 12床"], ["✅ 13床"]]
    assert [line[0] for line in message.text.splitlines()[1:]] == ["▫", "✖", "✅"]


async def test_a_forged_ward_with_this_wards_task_is_refused(reminder_ward: Ward) -> None:
    ward = reminder_ward
    message, due = await _three_task_slot(ward)
    # The stranger heads a ward of their own: a member there, not here.
    assert "已创建病区" in await ward.reply(ward.stranger, "/newward 骨科病区 30")
    theirs = await ward.ward_id("骨科病区")
    before = (message.text, message.buttons(), message.edit_count)
    for action in ("d", "k", "z", "r:held", "i"):
        sent = await ward.stranger.press(message, callback_data=f"t:{theirs}:{due[0].id}:{action}")
        answer = ward.emu.callback_answers[-1]
        assert answer["text"] == "您不是本病区的成员，无法查看或修改。", action
        assert answer["show_alert"] is True
        assert sent == []
    # A member of this ward naming a ward that does not exist fares no better.
    await ward.nurse.press(message, callback_data=f"t:{theirs + 1000}:{due[0].id}:d")
    assert ward.emu.callback_answers[-1]["text"] == "您不是本病区的成员，无法查看或修改。"
    assert (message.text, message.buttons(), message.edit_count) == before
    assert await statuses(ward, due) == [TaskStatus.PENDING] * 3
    assert await _done_audits(ward) == 0


async def test_a_button_drawn_before_wards_were_named_still_works_for_members(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    message, due = await _three_task_slot(ward)
    await ward.nurse.press(message, callback_data=f"t:{due[0].id}:d")
    assert ward.emu.callback_answers[-1]["text"] == "已记录"
    assert await statuses(ward, due) == [TaskStatus.DONE, TaskStatus.PENDING, TaskStatus.PENDING]
    # Redrawn with buttons that name the ward.
    assert labels(message) == [["✅ 11床"], normal(12), normal(13)]
    data_of(message, due[1], "d")


async def test_snooze_keeps_the_row_in_place_until_the_task_is_sent_again(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    message, due = await _three_task_slot(ward)
    ward.clock.advance(timedelta(minutes=2))  # 08:02
    await ward.nurse.press(message, callback_data=data_of(message, due[1], "z"))
    assert message.text.splitlines()[1:] == [
        "▫ 11床 张* · 阿莫西林 0.5g po",
        "▫ 12床 张* · 阿莫西林 0.5g po — 稍后提醒 08:17",
        "▫ 13床 张* · 阿莫西林 0.5g po",
    ]
    assert labels(message) == [normal(11), normal(12), normal(13)]
    await ward.nurse.press(message, "✅ 11床")  # a redraw: bed 12 keeps its row and place
    assert labels(message) == [["✅ 11床"], normal(12), normal(13)]
    assert "— 稍后提醒 08:17" in message.text.splitlines()[2]

    ward.clock.advance(timedelta(minutes=15))  # 08:17: bed 12 comes again
    await ticks(ward)
    first, again = reminder_messages(ward)
    assert first.message_id == message.message_id
    assert again.text == "⏰ 08:15 提醒\n▫ 12床 张* · 阿莫西林 0.5g po — 稍后提醒 08:17"
    # A nurse still on the first message ticks bed 12 there: both messages show it, and
    # the first no longer carries it (the second does).
    await ward.nurse.press(message, callback_data=data_of(message, due[1], "d"))
    assert ward.emu.callback_answers[-1]["text"] == "已记录"
    assert labels(again) == [["✅ 12床"]]
    assert again.text.startswith("⏰ 08:15 提醒\n✅ 12床 张*")
    assert labels(message) == [["✅ 11床"], normal(13)]
    assert await statuses(ward, due) == [TaskStatus.DONE, TaskStatus.DONE, TaskStatus.PENDING]


# --- 8. /tasks on a busy shift -------------------------------------------------------------


async def test_tasks_of_a_busy_shift_fit_one_message(ward: Ward) -> None:
    await ward.ready()
    ward_id = await ward.ward_id()
    actor = access.Actor(ward.nurse.id, "李娜")
    now = ward.clock.now()  # 08:00
    async with ward.database.uow() as uow:
        record = await uow.wards.get(ward_id)
        assert record is not None
        for bed in range(1, 31):
            a = commands.parse_admit([str(bed), "张三丰", "男", "45"], bed_count=record.bed_count)
            await services.admit(
                uow,
                ward.clock,
                actor=actor,
                ward=record,
                bed=a.bed,
                name=a.name,
                sex=a.sex,
                age=a.age,
            )
            for n in range(10):
                args = tasks.RemindArgs(
                    text=f"复测指尖血糖并记录于护理记录单第{n}项",
                    due_at=now + timedelta(minutes=bed * 10 + n),
                )
                await tasks.add_reminder(
                    uow, ward.clock, actor=actor, ward=record, bed=a.bed, args=args
                )
        await uow.commit()
    sent = [m for m in await ward.say(ward.nurse, "/tasks") if m.chat_id == ward.nurse.id]
    (reply,) = sent
    lines = reply.text.splitlines()
    assert lines[0] == "待执行任务（到期 0，逾期 0）："
    assert len(reply.text) <= 4096
    more = re.fullmatch(r"…另有 (\d+) 条", lines[-1])
    assert more is not None
    shown = lines[1:-1]
    assert len(shown) + int(more.group(1)) == 300
    assert shown[0] == "08:10 1床 张三丰 · 复测指尖血糖并记录于护理记录单第0项"
    assert all(line.endswith("项") for line in shown)  # whole lines, none cut

"""Flooding: strangers get no group replies, nobody floods the bot, reminders go first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from boards.clock import ManualClock
from bot.app import quiet_noisy_loggers
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, EmuChat
from bot.ratelimit import PriorityRateLimiter
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, TOKEN, Ward

HINT = "您不是本群所属病区的成员，您在群内发送的命令不会得到回复。"
TOO_FAST = "操作太频繁，请稍后再试。"
# What a stranger might try in the ward group: each would get a group reply from a member.
TRIES = ["/help", "/start", "/board", "/tasks", "/admit 12 张三 男 45", "/bind", "/lang en"]


def texts(chat: EmuChat, since: int = 0) -> list[str]:
    return [m.text for m in chat.bot_messages()[since:]]


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def active_beds(ward: Ward) -> list[str]:
    async with ward.database.uow() as uow:
        return sorted((s.bed for s in await uow.stays.active(await ward.ward_id())), key=int)


# --- strangers ------------------------------------------------------------------------------


async def test_a_stranger_flooding_the_ward_group_gets_no_reply_there(ward: Ward) -> None:
    await ward.ready()
    group = ward.emu.chat(GROUP_ID)
    in_group = len(group.bot_messages())
    await ward.say(ward.stranger, "/start")  # she has a private chat with the bot
    private = ward.emu.chat(ward.stranger.id)
    in_private = len(private.bot_messages())

    for number in range(30):
        ward.stranger.post(TRIES[number % len(TRIES)], GROUP_ID)
    await ward.emu.settle()

    assert texts(group, in_group) == []
    assert texts(private, in_private) == [HINT]
    # Nothing she typed took effect: no patient, and her language is still Chinese.
    assert await active_beds(ward) == []
    async with ward.database.uow() as uow:
        prefs = await uow.users.get(ward.stranger.id)
    assert prefs is None or prefs.locale is None
    # Within the hour no second note; after it, one more.
    ward.clock.advance(timedelta(minutes=59))
    await ward.say(ward.stranger, "/board", group=True)
    assert texts(private, in_private) == [HINT]
    ward.clock.advance(timedelta(minutes=2))
    for _ in range(3):
        await ward.say(ward.stranger, "/board", group=True)
    assert texts(private, in_private) == [HINT, HINT]
    assert texts(group, in_group) == []
    # A member in the same group is answered as before.
    assert await ward.reply(ward.nurse, "/tasks", group=True) == (
        "待执行任务（到期 0，逾期 0）：\n本班暂无任务。"
    )


async def test_a_stranger_who_never_started_the_bot_gets_nothing_at_all(ward: Ward) -> None:
    await ward.ready()
    passer = ward.emu.add_user(510, "Passer", language_code="en")
    group = ward.emu.chat(GROUP_ID)
    group.add_member(passer)
    in_group = len(group.bot_messages())
    for number in range(5):
        passer.post(TRIES[number % len(TRIES)], GROUP_ID)
    await ward.emu.settle()
    assert texts(group, in_group) == []
    assert ward.emu.chat(passer.id).bot_messages() == []
    # The note was tried once, refused by Telegram (she never wrote to the bot), and let go.
    tried = [
        r for r in ward.emu.requests if r.method == "sendMessage" and r.params["chat_id"] == 510
    ]
    assert [(r.ok, r.error_code, r.params["text"]) for r in tried] == [
        (False, 403, "You are not a member of this group's ward, so commands you send in the "
         "group get no reply.")
    ]  # fmt: skip
    assert ward.emu.errors == []


async def test_a_strangers_button_press_in_the_group_is_answered_only_to_her(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    group = ward.emu.chat(GROUP_ID)
    await until(lambda: any(t.startswith("⏰") for t in texts(group)))
    await ward.emu.settle()
    reminder = next(m for m in group.bot_messages() if m.text.startswith("⏰"))
    in_group = len(group.bot_messages())
    await ward.stranger.press(reminder, "✅ 12床")
    answer = ward.emu.callback_answers[-1]
    assert (answer["text"], answer["show_alert"]) == ("您不是本病区的成员，无法查看或修改。", True)
    assert texts(group, in_group) == []
    assert reminder.text == "⏰ 08:00 提醒\n▫ 12床 张* · 阿莫西林 0.5g po"


async def test_in_an_unbound_group_only_ward_staff_are_answered(ward: Ward) -> None:
    await ward.create_ward()
    group = ward.emu.chat(GROUP_ID)
    await ward.say(ward.stranger, "/bind", group=True)
    await ward.say(ward.stranger, "/help", group=True)
    assert texts(group) == []
    assert await ward.reply(ward.head, "/board", group=True) == (
        "本群尚未绑定病区。护士长请在群里发送 /bind。"
    )
    bound = await ward.reply(ward.head, "/bind", group=True)
    assert bound.startswith("本群已绑定为「普外科一病区」病区群")


# --- members --------------------------------------------------------------------------------


async def test_forty_commands_in_a_minute_get_one_too_frequent_reply(ward: Ward) -> None:
    await ward.ready()
    ward.clock.advance(timedelta(minutes=1))  # her set-up commands are out of the window
    chat = ward.emu.chat(ward.nurse.id)
    mark = len(chat.bot_messages())
    for bed in range(1, 41):
        ward.nurse.post(f"/admit {bed} 张三 男 45")
    await ward.emu.settle()

    assert texts(chat, mark) == [f"✅ 已入院：{bed}床 张三" for bed in range(1, 21)] + [TOO_FAST]
    assert await active_beds(ward) == [str(bed) for bed in range(1, 21)]
    # Silence, changing nothing, until the first of her twenty is a minute old.
    ward.clock.advance(timedelta(seconds=59))
    assert await ward.say(ward.nurse, "/admit 21 张三 男 45") == []
    assert await ward.reply(ward.head, "/admit 22 李四 女 30") == "✅ 已入院：22床 李四"
    ward.clock.advance(timedelta(seconds=1))
    assert await ward.reply(ward.nurse, "/admit 21 张三 男 45") == "✅ 已入院：21床 张三"
    assert await active_beds(ward) == [str(bed) for bed in range(1, 23)]


async def test_button_presses_count_and_past_the_limit_are_answered_silently(
    ward: Ward,
) -> None:
    await ward.create_ward()
    await ward.reply(ward.head, "/newward 骨科病区")
    ward.clock.advance(timedelta(minutes=1))
    chat = ward.emu.chat(ward.head.id)
    choose = (await ward.say(ward.head, "/ward"))[-1]
    mark = len(chat.bot_messages())
    for _ in range(19):
        ward.emu.press_button(ward.head, choose, "普外科一病区")
    await ward.emu.settle()
    assert texts(chat, mark) == ["当前病区：普外科一病区"] * 19  # with /ward, twenty
    await ward.head.press(choose, "骨科病区")
    assert ward.emu.callback_answers[-1]["text"] == TOO_FAST
    await ward.head.press(choose, "骨科病区")
    assert ward.emu.callback_answers[-1].get("text") is None
    assert texts(chat, mark) == ["当前病区：普外科一病区"] * 19
    assert ward.emu.unanswered_callback_queries == []
    async with ward.database.uow() as uow:
        prefs = await uow.users.get(ward.head.id)
        current = await uow.wards.by_name("普外科一病区")
    assert prefs is not None and current is not None
    assert prefs.current_ward_id == current.id


# --- reminders ahead of replies ---------------------------------------------------------------

# The group limit, 20 messages a minute, scaled down to 20 in PERIOD seconds for the emulator
# and the bot alike.
PERIOD = 6.0


@pytest.fixture
async def limited(database: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Ward]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    clock = ManualClock(datetime(2026, 11, 22, 23, 58, tzinfo=UTC))  # 07:58 in Shanghai
    async with BotApiEmulator(
        token=TOKEN,
        bot_username="wardboard_test_bot",
        enforce_limits=True,
        group_limit=(20, PERIOD),
    ) as emu:
        head = emu.add_user(501, "王芳", language_code="zh-hans")
        nurse = emu.add_user(502, "李娜", language_code="zh-hans")
        stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
        emu.add_group(GROUP_ID, "普外一病区群", members=[head, nurse, stranger])
        async with running_bot(
            emu,
            database,
            clock,
            rate_limiter=PriorityRateLimiter(group_time_period=PERIOD, max_retries=5),
            board_delay=0.05,
            board_min_interval=0.05,
            dispatch_seconds=0.1,
        ) as app:
            yield Ward(emu, app, clock, database, head, nurse, stranger)


async def test_a_reminder_due_during_a_burst_of_replies_goes_before_them(limited: Ward) -> None:
    ward = limited
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    await ward.say(ward.nurse, "/med 12 阿莫西林 0.5g po bid")
    ward.clock.advance(timedelta(minutes=1))  # 07:59
    await asyncio.sleep(PERIOD)  # the set-up's group messages leave the window
    group = ward.emu.chat(GROUP_ID)

    def kinds() -> list[str]:
        return [
            "reminder" if text.startswith("⏰") else "reply"
            for text in texts(group)
            if text.startswith(("⏰", "待执行任务"))
        ]

    for _ in range(15):
        ward.nurse.post("/tasks", GROUP_ID)
        ward.head.post("/tasks", GROUP_ID)
    # The replies stop once ordinary messages have filled their part of the window.
    seen, still = -1, 0
    while still < 10:
        await asyncio.sleep(0.1)
        still = still + 1 if len(kinds()) == seen else 0
        seen = len(kinds())
    answered = kinds().count("reply")
    assert answered == 17  # 20 a window, less the 3 places kept for reminders

    ward.clock.advance(timedelta(minutes=1))  # 08:00: the reminder falls due
    loop = asyncio.get_running_loop()
    due = loop.time()
    await until(lambda: "reminder" in kinds())
    waited = loop.time() - due
    await until(lambda: len(kinds()) == 31, timeout=3 * PERIOD)
    await ward.emu.settle()

    assert kinds() == ["reply"] * 17 + ["reminder"] + ["reply"] * 13
    assert waited < 1.0, f"the reminder waited {waited:.1f} s"
    assert ward.emu.rate_limited == []


# --- logs -------------------------------------------------------------------------------------


async def test_api_calls_are_logged_without_patient_data_unless_asked(
    ward: Ward, caplog: pytest.LogCaptureFixture
) -> None:
    await ward.ready()
    caplog.set_level(logging.DEBUG)
    assert await ward.reply(ward.nurse, "/admit 12 欧阳娜娜 女 45") == "✅ 已入院：12床 欧阳娜娜"
    await ward.board()
    assert "娜娜" not in caplog.text
    assert not [r for r in caplog.records if "娜娜" in r.getMessage()]

    # With the opt-in, PTB's DEBUG lines (parameters and all) come through: the check above
    # would see them.
    try:
        quiet_noisy_loggers(log_api=True)
        await ward.say(ward.nurse, "/admit 13 欧阳娜娜 女 45")
        assert "娜娜" in caplog.text
    finally:
        quiet_noisy_loggers()

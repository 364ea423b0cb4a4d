"""Forged and garbled button presses: never a crash, never a write, never a patient's data.

A seeded fuzzer (reproducible: the seed is in the test id) builds callback data of every
button kind the bot draws, with real and forged ids, arbitrary Unicode, control, bidi and
zero-width characters, HTML and overlong parts, and presses it through the real bot.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import pytest

from boards.model import Stay
from bot.emulator import EmuMessage
from tests.bot.conftest import GROUP_ID, Ward

__all__: list[str] = []

_PREFIXES = ("d", "g", "h", "t", "j", "m", "w", "xo", "xa", "xr", "xc", "xn", "ci", "zz", "")
_JUNK = (
    "\u200b",
    "\u202e",
    "\u2066",
    "\x00",
    "\n",
    "<b>",
    "&amp;",
    "'\"",
    "张三",
    "١٢",
    "１２",
    "-1",
    "99999999999999999999",
    "9999999999",
    "²",
    "①",
    "1e9",
    " ",
    ":",
)


def _forged(rng: random.Random, ids: list[str]) -> str:
    parts = [rng.choice(_PREFIXES)]
    for _ in range(rng.randint(0, 6)):
        pick = rng.random()
        if pick < 0.4:
            parts.append(rng.choice(ids))
        elif pick < 0.8:
            parts.append(rng.choice(_JUNK))
        else:
            parts.append("".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 8))))
    data = ":".join(parts)
    # Telegram carries at most 64 bytes of callback data.
    return data.encode("utf-8")[:64].decode("utf-8", "ignore")


@pytest.mark.parametrize("seed", [11, 23])
async def test_forged_presses_never_crash_write_or_leak(
    ward: Ward, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎")
    await ward.say(ward.nurse, "/tag 12 过敏 磺胺")
    ward_id = await ward.ward_id()
    async with ward.database.uow() as uow:
        stay = await uow.stays.active_in_bed(ward_id, "12")
        assert stay is not None
        before = len(await uow.audit.of_ward(ward_id, limit=10_000))
    ids = [str(ward_id), str(stay.id), "12", str(ward.nurse.id), str(ward.head.id), "0", "y", "n"]
    rng = random.Random(seed)
    board = await ward.board()
    private = [
        m for m in (await ward.say(ward.stranger, "/help")) if m.chat_id == ward.stranger.id
    ]
    targets: list[EmuMessage] = [board, private[-1]]
    caplog.set_level(logging.ERROR)
    for _ in range(40):
        data = _forged(rng, ids)
        sent = await ward.stranger.press(rng.choice(targets), callback_data=data, settle=0.05)
        for m in sent:
            assert "张三" not in m.text and "阑尾炎" not in m.text and "磺胺" not in m.text, data
            assert "出错了" not in m.text, data
        assert not [m for m in sent if m.chat_id == GROUP_ID], data
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with ward.database.uow() as uow:
        after = len(await uow.audit.of_ward(ward_id, limit=10_000))
        still = await uow.stays.active_in_bed(ward_id, "12")
    assert after == before and still == stay
    # A member's forged presses crash nothing either (they may open a question, no more).
    for _ in range(40):
        data = _forged(rng, ids)
        sent = await ward.nurse.press(board, callback_data=data, settle=0.05)
        assert all("出错了" not in m.text for m in sent), data
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert ward.emu.unanswered_callback_queries == []


# Digits `str.isdigit` passes and `int` refuses (²), and ids too long for their column
# (a row id is PostgreSQL's integer, a Telegram user id a bigint): each once, in every
# place a command or a button reads a number. Before, each of these answered 出错了.
_HUGE = "99999999999999999999"
_NUMBERS = ("²", "①", "2147483648", "9999999999", _HUGE)
_FORGED_COMMANDS = tuple(
    form.format(n=n)
    for n in _NUMBERS
    for form in (
        "/accept {n}",
        "/accept #{n} 12",
        "/stopmed 12 {n}",
        "/newward 测试病区 {n}",
        "/policy retention {n}",
        "/policy lead {n}",
    )
)
_FORGED_BUTTONS = tuple(
    form.format(n=n, w="{w}", s="{s}")
    for n in _NUMBERS
    for form in (
        "d:{n}:b:12:{s}",
        "d:{w}:b:12:{n}",
        "g:critical:{n}:{s}:12",
        "g:critical:{w}:{n}:12",
        "h:{w}:{n}",
        "h:{n}:1",
        "t:{w}:{n}:d",
        "t:{n}:1:d",
        "j:{w}:{n}:y",
        "j:{n}:1:n",
        "m:rm:{w}:{n}",
        "m:hd:{n}:1",
        "w:{n}",
        "xo:{w}:{n}:12:{w}:=",
        "xo:{w}:{s}:12:{n}:=",
        "xa:{n}:1",
        "xa:{w}:{n}",
        "xr:{w}:{n}",
        "xc:{n}:1",
        "ci:ok:{n}:abc",
    )
)


async def _patient_in_bed_12(ward: Ward) -> tuple[int, Stay]:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎")
    ward_id = await ward.ward_id()
    async with ward.database.uow() as uow:
        stay = await uow.stays.active_in_bed(ward_id, "12")
    assert stay is not None
    return ward_id, stay


async def test_forged_numbers_are_refused_plainly_and_change_nothing(
    ward: Ward, caplog: pytest.LogCaptureFixture
) -> None:
    ward_id, stay = await _patient_in_bed_12(ward)
    async with ward.database.uow() as uow:
        before = len(await uow.audit.of_ward(ward_id, limit=10_000))
    caplog.set_level(logging.ERROR)
    for text in _FORGED_COMMANDS:
        ward.clock.advance(timedelta(seconds=4))  # within her 20 commands a minute
        sent = await ward.say(ward.head, text)
        assert sent and all("出错了" not in m.text for m in sent), text
    help_ = [m for m in await ward.say(ward.head, "/help") if m.chat_id == ward.head.id][-1]
    for form in _FORGED_BUTTONS:
        data = form.format(w=ward_id, s=stay.id)
        ward.clock.advance(timedelta(seconds=4))
        sent = await ward.head.press(help_, callback_data=data, settle=0.05)
        assert all("出错了" not in m.text for m in sent), data
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert ward.emu.unanswered_callback_queries == []
    async with ward.database.uow() as uow:
        after = len(await uow.audit.of_ward(ward_id, limit=10_000))
        still = await uow.stays.active_in_bed(ward_id, "12")
        mine = await uow.members.of_user(ward.head.id)
        names = [w.name for w in await uow.wards.many([m.ward_id for m in mine])]
    assert after == before and still == stay
    # A bed count too long is refused, never taken into the ward's name.
    assert not [n for n in names if "999" in n], names


async def test_a_refused_card_button_is_explained_where_the_presser_reads_it(ward: Ward) -> None:
    """The press is answered after its work: refused in the group, by an alert to the
    presser alone (the group is not told); in her own chat by the chat's reply, the press
    answered plainly. Before, the press was answered first, and the group's alert was
    refused as a second answer: the presser there read nothing."""
    ward_id, stay = await _patient_in_bed_12(ward)
    stale = f"g:critical:{ward_id}:{stay.id}:13"  # drawn when bed 13 held this stay
    in_group = await ward.say(ward.head, "/board", group=True)
    group_message = next(m for m in in_group if m.chat_id == GROUP_ID)
    answers = len(ward.emu.callback_answers)
    sent = await ward.nurse.press(group_message, callback_data=stale, settle=0.05)
    assert [m for m in sent if m.chat_id == GROUP_ID] == []
    alert = ward.emu.callback_answers[answers:]
    assert len(alert) == 1 and alert[0]["show_alert"] is True
    assert alert[0]["text"] == "13床的患者已变更，请重新打开床头卡或重新开始。"
    card = [m for m in await ward.say(ward.nurse, "/card 12") if m.chat_id == ward.nurse.id]
    answers, calls = len(ward.emu.callback_answers), len(ward.emu.requests)
    sent = await ward.nurse.press(card[-1], callback_data=stale, settle=0.05)
    assert [m.text for m in sent if m.chat_id == ward.nurse.id] == [
        "13床的患者已变更，请重新打开床头卡或重新开始。"
    ]
    assert [a["show_alert"] for a in ward.emu.callback_answers[answers:]] == [False]
    # Answered once: no alert tried first and refused as a second answer.
    methods = [call.method for call in ward.emu.requests[calls:]]
    assert methods.count("answerCallbackQuery") == 1, methods
    assert ward.emu.unanswered_callback_queries == []


async def test_a_card_button_whose_reply_fails_is_answered_all_the_same(ward: Ward) -> None:
    """The press is answered once its change is kept, beside the reply and not behind it:
    a reply that fails (or waits its turn behind the 08:00 reminders) leaves no spinner."""
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎")
    card = [m for m in await ward.say(ward.nurse, "/card 12") if m.chat_id == ward.nurse.id]
    ward.emu.inject_failures("sendMessage", 1, error_code=400, description="Bad Request")
    await ward.nurse.press(card[-1], "备注", settle=0.05)
    assert ward.emu.unanswered_callback_queries == []
    # The dialogue it started was kept: her next message answers its question.
    sent = await ward.say(ward.nurse, "复测血压")
    assert any("备注" in m.text for m in sent if m.chat_id == ward.nurse.id), [
        m.text for m in sent
    ]

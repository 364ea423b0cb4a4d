"""Reminders over a bad connection: sends dropped unanswered or timed out at 08:00, some after
Telegram had posted the message. Every reminder still arrives; the only repeats are the
messages Telegram accepted while the bot never heard back, and they are told apart."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator, DropConnection, Fault, FaultRule, HoldAnswer, Params
from bot.reminders import Dispatcher
from tests.bot.conftest import GROUP_ID, TOKEN, Ward
from tests.bot.test_reminders_delivery import (
    admit_with_bid,
    delivered_tasks,
    due_tasks,
    reminder_messages,
    until,
)

_BEDS = list(range(1, 41))  # a full 40-bed ward: two messages at 08:00 (20 + 20)


def _reminder_faults(plan: list[Fault]) -> FaultRule:
    """The next reminder sends meet these faults, one each, in order; the rest pass."""

    def rule(method: str, params: Params) -> Fault | None:
        if method == "sendMessage" and str(params.get("text", "")).startswith("⏰") and plan:
            return plan.pop(0)
        return None

    return rule


def _accepted_unanswered(emu: BotApiEmulator) -> list[set[int]]:
    """The task ids of each reminder Telegram posted but the bot got no answer for."""
    lost = []
    for call in emu.requests:
        if call.method == "sendMessage" and call.ok and not call.answered:
            lost.append(
                {
                    int(button["callback_data"].split(":")[2])
                    for row in call.params["reply_markup"]["inline_keyboard"]
                    for button in row
                    if button["callback_data"].endswith(":d")
                }
            )
    return lost


async def _assert_delivered(ward: Ward, *, repeated: set[int]) -> None:
    """Every due task in the group: the repeated ones twice, every other once; each recorded
    as sent in a message of the group that carries it."""
    due = await due_tasks(ward)
    assert len(due) == len(_BEDS)
    assert delivered_tasks(ward) == Counter({t.id: 2 if t.id in repeated else 1 for t in due})
    carriers = {m.message_id: m for m in reminder_messages(ward)}
    for task in due:
        assert task.sent_at is not None and task.message_chat_id == GROUP_ID
        assert task.message_id in carriers
        assert f":{task.id}:d" in str(carriers[task.message_id].buttons())


async def test_dropped_connections_at_eight_lose_nothing_and_repeat_only_what_telegram_had(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await admit_with_bid(ward, _BEDS)
    ward.emu.set_fault(
        _reminder_faults(
            [DropConnection(), DropConnection(accepted=True), DropConnection(), DropConnection()]
        )
    )
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    # The stretch: both messages of the slot lost, the second after Telegram posted it,
    # then both lost again on the next tick; the tick after sends them.
    await until(lambda: sum(not c.answered for c in ward.emu.requests) >= 4)
    await until(lambda: len(reminder_messages(ward)) >= 3)
    await ward.ticks(5)
    (lost,) = _accepted_unanswered(ward.emu)
    assert len(lost) == 20
    await _assert_delivered(ward, repeated=lost)
    assert len(reminder_messages(ward)) == 3  # two, and the one repeated
    assert ward.emu.errors == []


async def test_a_send_timed_out_keeps_its_tasks_due_and_the_next_tick_sends_them(
    reminder_ward: Ward,
) -> None:
    # This test ticks a dispatcher of its own, on a bot that waits 0.3 s for an answer
    # (PTB's default is 5 s): the bot's own tick is stopped so as not to race it.
    ward = reminder_ward
    await ward.ready()
    await admit_with_bid(ward, _BEDS)
    assert ward.app.job_queue is not None
    for job in ward.app.job_queue.jobs():
        if job.name and job.name.startswith("reminders"):
            job.enabled = False
    await ward.emu.settle()
    ward.emu.set_fault(_reminder_faults([HoldAnswer(1.0, accepted=True), HoldAnswer(1.0)]))
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    request = HTTPXRequest(read_timeout=0.3)
    base = f"{ward.emu.api_root}/bot"
    async with Bot(TOKEN, base_url=base, request=request) as bot:
        dispatcher = Dispatcher(ward.runtime, owner="slow-link")
        await dispatcher.run_once(bot)  # each send times out (PTB: TimedOut)
        assert await _sent(ward) == 0
        assert sum(1 for c in ward.emu.requests if not c.answered) == 2
        await dispatcher.run_once(bot)
    await ward.emu.settle()
    (lost,) = _accepted_unanswered(ward.emu)
    await _assert_delivered(ward, repeated=lost)
    assert len(reminder_messages(ward)) == 3
    assert ward.emu.errors == []


async def _sent(ward: Ward) -> int:
    return sum(t.sent_at is not None for t in await due_tasks(ward))

"""Faults that are no answer: a dropped connection, an answer held past the client's timeout,
each before or after the call took effect; and what PTB makes of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.emulator import ApiError, BotApiEmulator, DropConnection, EmuUser, HoldAnswer, Params

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def nurse(emu: BotApiEmulator) -> EmuUser:
    user = emu.add_user(1001, "李娜", language_code="zh-hans")
    user.started = True
    return user


async def send(client: httpx.AsyncClient, chat_id: int, text: str) -> httpx.Response:
    return await client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": chat_id, "text": text})


def texts(emu: BotApiEmulator, chat_id: int) -> list[str]:
    return [m.text for m in emu.chat(chat_id).messages]


def calls(emu: BotApiEmulator) -> list[tuple[bool, int | None, bool]]:
    return [(r.ok, r.error_code, r.answered) for r in emu.requests]


async def test_a_dropped_connection_is_no_answer_before_or_after_the_message_went_out(
    emu: BotApiEmulator, nurse: EmuUser
) -> None:
    emu.inject_faults("sendMessage", DropConnection(), DropConnection(accepted=True))
    async with httpx.AsyncClient(base_url=emu.api_root) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await send(client, nurse.id, "一")
        assert texts(emu, nurse.id) == []
        with pytest.raises(httpx.RemoteProtocolError):
            await send(client, nurse.id, "二")
        # Telegram had it: the message is in the chat though the bot never heard so.
        assert texts(emu, nurse.id) == ["二"]
        assert (await send(client, nurse.id, "三")).status_code == 200
    assert texts(emu, nurse.id) == ["二", "三"]
    assert calls(emu) == [(False, None, False), (True, None, False), (True, None, True)]
    assert emu.errors == []


async def test_an_answer_held_past_the_timeout_leaves_the_message_only_if_accepted(
    emu: BotApiEmulator, nurse: EmuUser
) -> None:
    emu.inject_faults(
        "sendMessage", HoldAnswer(0.6), HoldAnswer(0.6, accepted=True), HoldAnswer(0.1)
    )
    async with httpx.AsyncClient(base_url=emu.api_root, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await send(client, nurse.id, "一")
        with pytest.raises(httpx.ReadTimeout):
            await send(client, nurse.id, "二")
        # A hold shorter than the client's patience is only a slow answer.
        assert (await send(client, nurse.id, "三")).status_code == 200
        await asyncio.sleep(0.5)  # past the first hold: the client was gone, nothing sent
        await emu.settle(idle=0.05)
    assert texts(emu, nurse.id) == ["二", "三"]
    assert sorted(calls(emu)) == [(False, 499, False), (True, None, False), (True, None, True)]
    assert emu.errors == []


async def test_ptb_raises_network_error_and_timed_out_and_a_rule_can_choose_them(
    emu: BotApiEmulator, nurse: EmuUser
) -> None:
    plan: list[Any] = [DropConnection(), HoldAnswer(1.0, accepted=True), ApiError(502)]

    def rule(method: str, params: Params) -> Any:
        return plan.pop(0) if method == "sendMessage" and plan else None

    emu.set_fault(rule)
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=f"{emu.api_root}/bot", request=request) as bot:
        with pytest.raises(NetworkError, match="Server disconnected") as dropped:
            await bot.send_message(nurse.id, "一")
        assert not isinstance(dropped.value, TimedOut)
        with pytest.raises(TimedOut):
            await bot.send_message(nurse.id, "二")
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(nurse.id, "三")
        await bot.send_message(nurse.id, "四")
        await emu.settle(idle=0.05)
    assert texts(emu, nurse.id) == ["二", "四"]
    assert emu.errors == []


def test_faults_name_methods_the_emulator_serves(emu: BotApiEmulator) -> None:
    with pytest.raises(ValueError, match="does not serve"):
        emu.inject_faults("sendMesage", DropConnection())

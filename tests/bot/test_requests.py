"""What the bot's requests carry: JSON bodies that arrive intact, uploads as multipart."""

from __future__ import annotations

import asyncio
import json

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.request import JsonRequest, json_body
from tests.bot.conftest import Ward

# What a note may hold that either encoding could mangle: quotes, backslashes, markup
# characters, a newline-free emoji outside the BMP, and percent signs.
_NOTE = '复测血压 "120/80" \\ <正常> & 50%+ 😀'


async def test_messages_go_as_json_and_arrive_as_typed(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 一级")
    noted = await ward.reply(ward.nurse, f"/note 12 {_NOTE}")
    assert noted.startswith(f"✅ 已添加备注：12床 张三 {_NOTE}\n")
    private = await ward.reply(ward.nurse, "/board")
    assert f"12床 张三 {_NOTE}" in private

    # The card's buttons (a keyboard object inside the JSON) arrive and work when pressed.
    card = next(m for m in await ward.say(ward.nurse, "/card 12") if m.buttons())
    pressed = await ward.nurse.press(card, "备注")
    assert any("备注" in m.text for m in pressed if m.chat_id == ward.nurse.id)

    sent = [c for c in ward.emu.requests if c.method in ("sendMessage", "editMessageText")]
    assert sent and {c.body for c in sent} == {"application/json"}
    # Numbers stay numbers, keyboards objects: the Bot API's JSON, not strings inside it.
    keyboards = [c for c in sent if "reply_markup" in c.params]
    assert keyboards and all(isinstance(c.params["reply_markup"], dict) for c in keyboards)


async def test_a_sign_is_uploaded_as_multipart(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45 急性阑尾炎 一级")
    sent = await ward.say(ward.nurse, "/sign 12")
    assert any(m.photo is not None for m in sent) and any(m.document is not None for m in sent)
    uploads = [c for c in ward.emu.requests if c.method in ("sendPhoto", "sendDocument")]
    assert uploads and {c.body for c in uploads} == {"multipart/form-data"}


def test_the_body_is_the_parameters_as_json() -> None:
    keyboard = {"inline_keyboard": [[{"text": "备注", "callback_data": "c:1"}]]}
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 501),
            RequestParameter.from_input("text", _NOTE),
            RequestParameter.from_input("reply_markup", keyboard),
            RequestParameter.from_input("disable_notification", True),
            RequestParameter.from_input("message_thread_id", None),
        ]
    )
    body = json_body(data)
    assert body.isascii()
    assert json.loads(body) == {
        "chat_id": 501,
        "text": _NOTE,
        "reply_markup": keyboard,
        "disable_notification": True,
    }
    # A lone surrogate (JSON updates can carry one into a note) is escaped, not a crash.
    odd = RequestData([RequestParameter.from_input("text", "备注\ud800")])
    assert json.loads(json_body(odd)) == {"text": "备注\ud800"}


async def _server(answer: bool) -> tuple[asyncio.Server, int, list[asyncio.Task[None]]]:
    """One that hangs up at once (`answer` False) or reads and never answers."""
    handlers: list[asyncio.Task[None]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        if answer:
            while await reader.read(65536):  # until the client gives up and hangs up
                pass
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], handlers


@pytest.mark.parametrize(("silent", "error"), [(False, NetworkError), (True, TimedOut)])
async def test_network_failures_are_ptbs_errors(silent: bool, error: type[Exception]) -> None:
    # The bot's retries and logs expect what PTB raises for the same failure.
    server, port, handlers = await _server(answer=silent)
    request = JsonRequest(connection_pool_size=2, read_timeout=0.2)
    data = RequestData([RequestParameter.from_input("a", 1)])
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.do_request(f"http://127.0.0.1:{port}/x", "POST", data)
        assert type(raised.value) is error  # TimedOut is a NetworkError: the exact one
    finally:
        await request.shutdown()
        server.close()
        await asyncio.wait_for(asyncio.gather(*handlers), timeout=5)
        await server.wait_closed()

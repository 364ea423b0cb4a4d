"""The Bot API emulator, over raw HTTP and under the real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.emulator import ApiError, BotApiEmulator, EmuUser

TOKEN = "123456:TEST-TOKEN"
GROUP = -1001234


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(
        token=TOKEN, bot_username="wardboard_bot", bot_name="WardBoard"
    ) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu.api_root) as http:
        yield http


@pytest.fixture
def nurse(emu: BotApiEmulator) -> EmuUser:
    user = emu.add_user(1001, "李娜", username="lina", language_code="zh-hans")
    user.started = True
    return user


async def call(client: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await client.post(f"/bot{TOKEN}/{method}", json=params)


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True, body
    return body["result"]


def refused(response: httpx.Response, code: int) -> str:
    body = response.json()
    assert response.status_code == code and body["ok"] is False and body["error_code"] == code
    return str(body["description"])


def bot_for(emu: BotApiEmulator) -> Bot:
    return Bot(TOKEN, base_url=f"{emu.api_root}/bot", base_file_url=f"{emu.api_root}/file/bot")


# ------------------------------------------------------------------------- raw HTTP


async def test_get_me_describes_the_bot(client: httpx.AsyncClient) -> None:
    me = ok(await client.get(f"/bot{TOKEN}/getMe"))
    assert me["id"] == 123456 and me["is_bot"] is True
    assert (me["first_name"], me["username"]) == ("WardBoard", "wardboard_bot")
    assert me["can_join_groups"] is True and me["can_read_all_group_messages"] is False


async def test_wrong_token_and_unknown_method(client: httpx.AsyncClient) -> None:
    response = await client.post("/bot999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await call(client, "sendPoll", chat_id=1, question="?")
    assert refused(unknown, 404) == "Not Found: method not found"


async def test_parameters_arrive_as_json_form_multipart_or_query(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    keyboard = json.dumps({"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]})
    url = f"/bot{TOKEN}/sendMessage"
    ok(await client.post(url, json={"chat_id": nurse.id, "text": "json"}))
    ok(await client.post(url, data={"chat_id": str(nurse.id), "text": "form"}))
    ok(await client.post(url, data={"chat_id": str(nurse.id), "text": "multi"}, files={}))
    ok(await client.post(url, data={"text": "multi2"}, files={"chat_id": (None, "1001")}))
    ok(await client.get(url, params={"chat_id": nurse.id, "text": "query"}))
    sent = ok(
        await client.post(url, data={"chat_id": "1001", "text": "kb", "reply_markup": keyboard})
    )
    assert sent["reply_markup"] == json.loads(keyboard)
    texts = [m.text for m in emu.chat(nurse.id).bot_messages()]
    assert texts == ["json", "form", "multi", "multi2", "query", "kb"]
    last = emu.chat(nurse.id).last_bot_message()
    assert last is not None and last.buttons() == [[("OK", "ok")]]


async def test_send_message_answers_a_telegram_message(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    sent = ok(
        await call(
            client,
            "sendMessage",
            chat_id=nurse.id,
            text="🏥 <b>普外 &amp; 一病区</b>\n<a href='https://t.me/x'>链接</a>  ",
            parse_mode="HTML",
        )
    )
    assert sent["message_id"] == 1 and isinstance(sent["date"], int)
    assert sent["chat"] == {
        "id": 1001,
        "type": "private",
        "first_name": "李娜",
        "username": "lina",
    }
    assert sent["from"]["is_bot"] is True and sent["from"]["username"] == "wardboard_bot"
    assert sent["text"] == "🏥 普外 & 一病区\n链接"
    # Offsets count UTF-16 code units: the hospital emoji is two of them.
    assert sent["entities"] == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "text_link", "offset": 12, "length": 2, "url": "https://t.me/x"},
    ]
    message = emu.chat(nurse.id).messages[0]
    assert message.html is not None and message.html.startswith("🏥 <b>")
    assert (message.parse_mode, message.from_bot, message.text) == ("HTML", True, sent["text"])


async def test_send_message_refusals(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    assert refused(await call(client, "sendMessage", chat_id=-42, text="x"), 400) == (
        "Bad Request: chat not found"
    )
    assert refused(await call(client, "sendMessage", chat_id=nurse.id, text=" \n "), 400) == (
        "Bad Request: message text is empty"
    )
    broken = await call(client, "sendMessage", chat_id=nurse.id, text="a<br>b", parse_mode="HTML")
    assert refused(broken, 400) == (
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1'
    )
    unclosed = await call(client, "sendMessage", chat_id=nurse.id, text="<b>x", parse_mode="HTML")
    assert refused(unclosed, 400).startswith("Bad Request: can't parse entities: Can't find end")
    crossed = await call(
        client, "sendMessage", chat_id=nurse.id, text="<b><i>x</b></i>", parse_mode="HTML"
    )
    assert 'expected "</i>", found "</b>"' in refused(crossed, 400)
    stranger = emu.add_user(1009, "路人")
    assert refused(await call(client, "sendMessage", chat_id=stranger.id, text="x"), 403) == (
        "Forbidden: bot can't initiate conversation with a user"
    )
    assert emu.sent_messages == []


async def test_the_length_limit_applies_to_the_parsed_text(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    tagged = "<b>" + "床" * 4089 + "</b>"  # 4096 characters as typed, 4089 as shown
    assert len(tagged) == 4096
    ok(await call(client, "sendMessage", chat_id=nurse.id, text=tagged, parse_mode="HTML"))
    escaped = "&lt;" * 4096  # 16384 as typed, exactly 4096 as shown
    ok(await call(client, "sendMessage", chat_id=nurse.id, text=escaped, parse_mode="HTML"))
    ok(await call(client, "sendMessage", chat_id=nurse.id, text="x" * 4096))
    too_long = await call(client, "sendMessage", chat_id=nurse.id, text="x" * 4097)
    assert refused(too_long, 400) == "Bad Request: message is too long"
    assert len(emu.sent_messages) == 3


async def test_edits_refuse_unchanged_and_missing_messages(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    first = ok(
        await call(
            client,
            "sendMessage",
            chat_id=nurse.id,
            text="<b>白板</b>",
            parse_mode="HTML",
            reply_markup=keyboard,
        )
    )
    target = {"chat_id": nurse.id, "message_id": first["message_id"]}
    same = await call(
        client,
        "editMessageText",
        **target,
        text="<b>白板</b>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert refused(same, 400).startswith("Bad Request: message is not modified: specified new")
    # The same text without the keyboard is a change: editing drops an omitted keyboard.
    edited = ok(
        await call(client, "editMessageText", **target, text="<b>白板</b>", parse_mode="HTML")
    )
    assert "reply_markup" not in edited and isinstance(edited["edit_date"], int)
    again = await call(client, "editMessageReplyMarkup", **target)
    assert refused(again, 400).startswith("Bad Request: message is not modified")
    ok(await call(client, "editMessageReplyMarkup", **target, reply_markup=keyboard))
    message = emu.chat(nurse.id).message(first["message_id"])
    assert message.edit_count == 2 and message.buttons() == [[("OK", "ok")]]

    emu.delete_message(nurse.id, first["message_id"])
    gone = await call(client, "editMessageText", **target, text="新")
    assert refused(gone, 400) == "Bad Request: message to edit not found"
    missing = await call(client, "editMessageText", chat_id=nurse.id, message_id=99, text="新")
    assert refused(missing, 400) == "Bad Request: message to edit not found"
    assert refused(await call(client, "deleteMessage", **target), 400) == (
        "Bad Request: message to delete not found"
    )
    assert message.deleted and message.text == "白板"


async def test_injected_failures_have_no_effect(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    emu.inject_failures("sendMessage", 1, error_code=429, retry_after=3)
    emu.inject_failures("sendMessage", 1)
    limited = await call(client, "sendMessage", chat_id=nurse.id, text="一")
    assert limited.status_code == 429
    assert limited.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert refused(await call(client, "sendMessage", chat_id=nurse.id, text="二"), 500) == (
        "Internal Server Error"
    )
    assert emu.sent_messages == [] and emu.chat(nurse.id).messages == []
    ok(await call(client, "sendMessage", chat_id=nurse.id, text="三"))
    assert [m.text for m in emu.sent_messages] == ["三"]
    assert [(r.method, r.retry_after, r.injected) for r in emu.rate_limited] == [
        ("sendMessage", 3, True)
    ]
    assert [(r.method, r.ok, r.error_code) for r in emu.requests] == [
        ("sendMessage", False, 429),
        ("sendMessage", False, 500),
        ("sendMessage", True, None),
    ]

    def no_groups(method: str, params: dict[str, Any]) -> ApiError | None:
        return ApiError(403, "Forbidden: bot was kicked") if params.get("chat_id", 0) < 0 else None

    emu.add_group(GROUP, "普外一病区", members=[nurse])
    emu.set_fault(no_groups)
    assert refused(await call(client, "sendMessage", chat_id=GROUP, text="x"), 403) == (
        "Forbidden: bot was kicked"
    )
    ok(await call(client, "sendMessage", chat_id=nurse.id, text="四"))
    emu.set_fault(None)
    ok(await call(client, "sendMessage", chat_id=GROUP, text="五"))
    with pytest.raises(ValueError, match="does not serve"):
        emu.inject_failures("sendMesage", 1)


async def test_documents_upload_and_download(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    content = "床号,姓名\n12,张三\n".encode()
    response = await client.post(
        f"/bot{TOKEN}/sendDocument",
        data={"chat_id": str(nurse.id), "caption": "<i>交班</i>", "parse_mode": "HTML"},
        files={"document": ("交班.csv", content, "text/csv")},
    )
    sent = ok(response)
    assert sent["caption"] == "交班" and sent["caption_entities"][0]["type"] == "italic"
    document = sent["document"]
    assert (document["file_name"], document["mime_type"]) == ("交班.csv", "text/csv")
    assert document["file_size"] == len(content)
    stored = emu.chat(nurse.id).messages[0].document
    assert stored is not None and stored.data == content

    file = ok(await call(client, "getFile", file_id=document["file_id"]))
    assert file["file_size"] == len(content)
    download = await client.get(f"/file/bot{TOKEN}/{file['file_path']}")
    assert download.status_code == 200 and download.content == content
    assert (await client.get(f"/file/bot{TOKEN}/documents/nothing")).status_code == 404
    assert (await client.get(f"/file/bot1:X/{file['file_path']}")).status_code == 401

    # Sending the file again by its id stores nothing new.
    again = ok(await call(client, "sendDocument", chat_id=nurse.id, document=document["file_id"]))
    assert again["document"]["file_id"] == document["file_id"]
    missing = await call(client, "sendDocument", chat_id=nurse.id)
    assert refused(missing, 400) == "Bad Request: there is no document in the request"


async def test_get_updates_long_polls_and_confirms_by_offset(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    started = time.monotonic()
    assert ok(await call(client, "getUpdates", timeout=0.3)) == []
    assert time.monotonic() - started >= 0.3

    poll = asyncio.create_task(call(client, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    posted = emu.post_message(nurse, "/start@wardboard_bot j_abc")
    started = time.monotonic()
    updates = ok(await asyncio.wait_for(poll, 2))
    assert time.monotonic() - started < 1
    assert [u["message"] for u in updates] == [posted]
    message = updates[0]["message"]
    assert message["from"] == {
        "id": 1001,
        "is_bot": False,
        "first_name": "李娜",
        "username": "lina",
        "language_code": "zh-hans",
    }
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]

    emu.post_message(nurse, "二")
    emu.post_message(nurse, "三")
    first_id = updates[0]["update_id"]
    # Unconfirmed updates come again; an offset confirms everything before it.
    assert len(ok(await call(client, "getUpdates", offset=first_id))) == 3
    assert len(ok(await call(client, "getUpdates", offset=first_id, limit=2))) == 2
    rest = ok(await call(client, "getUpdates", offset=first_id + 1))
    assert [u["message"]["text"] for u in rest] == ["二", "三"]
    assert ok(await call(client, "getUpdates", offset=first_id + 3)) == []
    assert ok(await call(client, "getWebhookInfo"))["pending_update_count"] == 0


async def test_a_second_poll_ends_the_first_with_a_conflict(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    first = asyncio.create_task(call(client, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(client, "getUpdates", timeout=5))
    assert refused(await asyncio.wait_for(first, 2), 409).startswith("Conflict: terminated")
    emu.post_message(nurse, "在吗")
    assert len(ok(await asyncio.wait_for(second, 2))) == 1


async def test_updates_a_bot_did_not_allow_are_never_delivered(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "批准", "callback_data": "y"}]]}
    ok(await call(client, "sendMessage", chat_id=nurse.id, text="申请", reply_markup=keyboard))
    message = emu.chat(nurse.id).messages[0]
    emu.press_button(nurse, message, "批准")
    emu.post_message(nurse, "/board")
    updates = ok(await call(client, "getUpdates", allowed_updates=["message"]))
    assert [next(k for k in u if k != "update_id") for u in updates] == ["message"]
    await emu.settle(idle=0.01, timeout=1)


async def test_privacy_mode_hides_group_chatter(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    head = emu.add_user(1002, "王芳")
    group = emu.add_group(GROUP, "普外一病区", members=[nurse], creator=head)
    emu.post_message(nurse, "大家好", group)
    emu.post_message(nurse, "/board@other_bot", group)
    emu.post_message(nurse, "/board", group)
    emu.post_message(head, "@wardboard_bot 在吗", group)
    texts = [u["message"]["text"] for u in ok(await call(client, "getUpdates"))]
    assert texts == ["/board", "@wardboard_bot 在吗"]
    assert len(group.messages) == 4
    assert group.messages[0].chat_id == GROUP and not group.messages[0].from_bot
    stranger = emu.add_user(1009, "路人")
    with pytest.raises(ValueError, match="not in"):
        emu.post_message(stranger, "/board", group)
    group.add_member(stranger)
    emu.post_message(stranger, "/board", group)


async def test_pins_follow_deletion(
    emu: BotApiEmulator, client: httpx.AsyncClient, nurse: EmuUser
) -> None:
    group = emu.add_group(GROUP, "普外一病区", members=[nurse])
    board = ok(await call(client, "sendMessage", chat_id=GROUP, text="白板"))
    note = ok(await call(client, "sendMessage", chat_id=GROUP, text="便签"))
    target = {"chat_id": GROUP, "message_id": board["message_id"]}
    ok(await call(client, "pinChatMessage", **target, disable_notification=True))
    ok(await call(client, "pinChatMessage", chat_id=GROUP, message_id=note["message_id"]))
    assert group.pinned_message_id == note["message_id"]
    ok(await call(client, "unpinChatMessage", chat_id=GROUP))
    assert group.pinned_message_id == board["message_id"]
    assert group.pins == [(board["message_id"], True), (note["message_id"], False)]
    emu.delete_message(GROUP, board["message_id"])
    assert group.pinned_message_id is None
    assert refused(await call(client, "pinChatMessage", **target), 400) == (
        "Bad Request: message to pin not found"
    )
    ok(await call(client, "pinChatMessage", chat_id=GROUP, message_id=note["message_id"]))
    ok(await call(client, "unpinAllChatMessages", chat_id=GROUP))
    assert group.pinned_message_id is None
    assert [m.text for m in group.bot_messages()] == ["便签"]
    assert len(group.bot_messages(include_deleted=True)) == 2


async def test_group_limits_answer_429(emu: BotApiEmulator, client: httpx.AsyncClient) -> None:
    emu.enforce_limits = True
    emu.add_group(GROUP, "普外一病区")
    for number in range(20):
        ok(await call(client, "sendMessage", chat_id=GROUP, text=f"{number}"))
    limited = await call(client, "sendMessage", chat_id=GROUP, text="20")
    assert refused(limited, 429).startswith("Too Many Requests: retry after ")
    retry_after = limited.json()["parameters"]["retry_after"]
    assert 55 <= retry_after <= 60
    assert [(r.method, r.chat_id, r.injected) for r in emu.rate_limited] == [
        ("sendMessage", GROUP, False)
    ]
    assert len(emu.sent_messages) == 20


async def test_dates_come_from_the_given_clock() -> None:
    async with BotApiEmulator(token=TOKEN, clock=lambda: 1_795_400_000.5) as fixed:
        nurse = fixed.add_user(1001, "李娜")
        assert fixed.post_message(nurse, "早")["date"] == 1_795_400_000


async def test_settle_times_out_when_nobody_fetches(emu: BotApiEmulator, nurse: EmuUser) -> None:
    with pytest.raises(TimeoutError, match="1 update"):
        await nurse.say("/start", timeout=0.2)


# ------------------------------------------------------------------------- under PTB


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok:1")]])
    await update.effective_message.reply_html(
        f"欢迎，<b>{update.effective_user.first_name if update.effective_user else ''}</b>！"
        f"参数：<code>{' '.join(context.args or [])}</code>",
        reply_markup=keyboard,
    )


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer(f"收到 {query.data}")
    await query.edit_message_text("<i>已确认</i>", parse_mode=ParseMode.HTML)


def _application(emu: BotApiEmulator) -> Application[Any, Any, Any, Any, Any, Any]:
    return (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{emu.api_root}/bot")
        .base_file_url(f"{emu.api_root}/file/bot")
        .build()
    )


async def test_the_real_application_replies_and_handles_a_button(emu: BotApiEmulator) -> None:
    application = _application(emu)
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_pressed))
    nurse = emu.add_user(1001, "李娜", language_code="zh-hans")
    group = emu.add_group(GROUP, "普外一病区", members=[nurse])
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            sent = await nurse.say("/start hello")
            assert [m.text for m in sent] == ["欢迎，李娜！参数：hello"]
            reply = sent[0]
            assert reply.chat_id == nurse.id and reply.parse_mode == "HTML"
            assert reply.html == "欢迎，<b>李娜</b>！参数：<code>hello</code>"
            assert reply.buttons() == [[("OK", "ok:1")]]

            assert await nurse.press(reply, "OK") == []
            assert reply.text == "已确认" and reply.edit_count == 1 and reply.buttons() == []
            assert emu.callback_answers == [
                {
                    "callback_query_id": emu.callback_answers[0]["callback_query_id"],
                    "text": "收到 ok:1",
                    "show_alert": False,
                    "url": None,
                    "cache_time": 0,
                }
            ]
            assert emu.unanswered_callback_queries == []

            # In a group PTB quotes the command it answers.
            in_group = await nurse.say("/start@wardboard_bot", chat=group)
            assert [m.chat_id for m in in_group] == [GROUP]
            assert in_group[0].reply_to_message_id == group.messages[0].message_id
            with pytest.raises(LookupError, match="no button"):
                await nurse.press(in_group[0], "取消")
        finally:
            await application.updater.stop()
            await application.stop()
    assert emu.errors == []
    assert all(r.ok for r in emu.requests if r.method != "getUpdates")


async def test_settle_waits_for_a_bot_that_says_it_is_busy(emu: BotApiEmulator) -> None:
    async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await asyncio.sleep(0.4)  # a slow database: no API call for longer than `idle`
        assert update.effective_message is not None
        await update.effective_message.reply_text("好了")

    application = _application(emu)
    application.add_handler(CommandHandler("board", slow))
    emu.busy = lambda: (
        not application.update_queue.empty()
        or application.update_processor.current_concurrent_updates > 0
    )
    nurse = emu.add_user(1001, "李娜")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            assert [m.text for m in await nurse.say("/board", settle=0.1)] == ["好了"]
        finally:
            await application.updater.stop()
            await application.stop()


async def test_a_rate_limiter_gets_forty_messages_through(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns whenever it builds a RetryAfter, and warnings are errors here.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    # The group window is shortened from a minute to a second to keep the test quick.
    async with BotApiEmulator(token=TOKEN, enforce_limits=True, group_limit=(20, 1.0)) as limited:
        limited.add_group(GROUP, "普外一病区")
        limiter = AIORateLimiter(
            overall_max_rate=30,
            overall_time_period=1,
            group_max_rate=20,
            group_time_period=1,
            max_retries=3,
        )
        application = (
            Application.builder()
            .token(TOKEN)
            .base_url(f"{limited.api_root}/bot")
            .rate_limiter(limiter)
            .build()
        )
        async with application:
            texts = [f"第{number}条" for number in range(40)]
            await asyncio.gather(*(application.bot.send_message(GROUP, t) for t in texts))
        delivered = [m.text for m in limited.chat(GROUP).bot_messages()]
        assert sorted(delivered) == sorted(texts)
        sends = [r for r in limited.requests if r.method == "sendMessage"]
        refusals = [r for r in sends if not r.ok]
        assert sum(r.ok for r in sends) == 40
        assert all(r.error_code == 429 for r in refusals)
        assert len(refusals) == len(limited.rate_limited) <= 3
        assert limited.errors == []


async def test_server_errors_reach_the_bot_and_leave_nothing(
    emu: BotApiEmulator, nurse: EmuUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emu.inject_failures("sendMessage", 2)
    async with bot_for(emu) as bot:
        for _ in range(2):
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.send_message(nurse.id, "交班")
        assert emu.chat(nurse.id).messages == []
        await bot.send_message(nurse.id, "交班")
        emu.inject_failures("sendMessage", 1, error_code=429, retry_after=1)
        with pytest.raises(RetryAfter):
            await bot.send_message(nurse.id, "再来")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(42, "?")
        stranger = emu.add_user(1009, "路人")
        with pytest.raises(Forbidden):
            await bot.send_message(stranger.id, "?")
    assert [m.text for m in emu.chat(nurse.id).messages] == ["交班"]


async def test_ptb_reads_chats_members_commands_and_files(
    emu: BotApiEmulator, nurse: EmuUser
) -> None:
    head = emu.add_user(1002, "王芳")
    emu.add_group(GROUP, "普外一病区", members=[nurse], creator=head)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(picture, format="PNG")
    async with bot_for(emu) as bot:
        chat = await bot.get_chat(GROUP)
        assert (chat.type, chat.title) == ("supergroup", "普外一病区")
        assert (await bot.get_chat(nurse.id)).first_name == "李娜"
        assert (await bot.get_chat_member(GROUP, nurse.id)).status == "member"
        assert (await bot.get_chat_member(GROUP, head.id)).status == "creator"
        assert (await bot.get_chat_member(GROUP, bot.id)).status == "administrator"
        assert (await bot.get_chat_member(GROUP, emu.add_user(1009, "路人").id)).status == "left"
        admins = await bot.get_chat_administrators(GROUP)
        assert {a.user.id for a in admins} == {head.id, bot.id}

        await bot.set_my_commands([BotCommand("board", "查看白板")])
        await bot.set_my_commands([BotCommand("board", "Board")], language_code="en")
        await bot.set_my_commands(
            [BotCommand("bind", "绑定")], scope=BotCommandScopeAllGroupChats()
        )
        assert emu.commands() == [("board", "查看白板")]
        assert emu.commands(language_code="en") == [("board", "Board")]
        assert emu.commands("all_group_chats") == [("bind", "绑定")]
        assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["board"]
        await bot.delete_my_commands(language_code="en")
        assert emu.commands(language_code="en") == []
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Board!", "x")])
        await bot.set_my_description("病区白板")
        await bot.set_my_short_description("白板")
        assert (await bot.get_my_description()).description == "病区白板"
        assert emu.bot_text("short_description") == "白板"

        photo = await bot.send_photo(GROUP, picture.getvalue(), caption="床头卡")
        assert (photo.photo[-1].width, photo.photo[-1].height) == (64, 48)
        document = await bot.send_document(nurse.id, b"%PDF-1.4 fake", filename="卡.pdf")
        assert document.document is not None and document.document.file_name == "卡.pdf"
        downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"%PDF-1.4 fake"
        stored = emu.chat(GROUP).messages[0]
        assert stored.photo is not None and stored.text == "床头卡"
        assert stored.photo.data == picture.getvalue()
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(GROUP, b"not a picture")
        await bot.send_chat_action(GROUP, "typing")
        assert await bot.delete_message(GROUP, photo.message_id)
    assert emu.errors == []


async def test_a_user_sends_a_document_the_bot_downloads(
    emu: BotApiEmulator, nurse: EmuUser
) -> None:
    content = "床号,姓名\n12,张三\n".encode("gb18030")
    async with bot_for(emu) as bot:
        emu.post_document(nurse, content, "名单.csv", caption="/import")
        # A group's file reaches a bot in privacy mode only with a command caption.
        emu.add_group(GROUP, "普外一病区", members=[nurse])
        emu.post_document(nurse, b"chatter", "x.txt", emu.chat(GROUP))
        updates = await bot.get_updates(timeout=0)
        assert len(updates) == 1
        message = updates[0].message
        assert message is not None and message.document is not None
        assert message.document.file_name == "名单.csv"
        assert message.document.mime_type == "text/csv"
        assert message.document.file_size == len(content)
        assert message.caption == "/import" and message.chat.id == nurse.id
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == content
    stored = emu.chat(nurse.id).messages[0]
    assert stored.document is not None and stored.sender is nurse
    assert emu.errors == []
    with pytest.raises(ValueError, match="captions"):
        emu.post_document(nurse, content, "a.csv", caption="x" * 1025)

"""Webhook mode and /healthz: Telegram posts to our server; a request without the secret is
refused with 403 and changes nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator
from bot.webhook import SECRET_HEADER
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, TOKEN, Ward

SECRET = "s3cret-ward-webhook-0123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hooked(database: Database) -> AsyncIterator[tuple[Ward, str]]:
    clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu:
        head = emu.add_user(501, "王芳", language_code="zh-hans")
        nurse = emu.add_user(502, "李娜", language_code="zh-hans")
        stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
        emu.add_group(GROUP_ID, "普外一病区群", members=[head, nurse, stranger])
        async with running_bot(
            emu,
            database,
            clock,
            board_delay=0.05,
            board_min_interval=0.05,
            dispatch_seconds=0.2,
            webhook_url=f"{base}/telegram/hook",
            webhook_secret=SECRET,
            webhook_listen=f"127.0.0.1:{port}",
        ) as app:
            yield Ward(emu, app, clock, database, head, nurse, stranger), base


async def test_in_webhook_mode_the_ward_is_served_through_our_server(
    hooked: tuple[Ward, str],
) -> None:
    ward, base = hooked
    await ward.ready()
    assert (await ward.reply(ward.nurse, "/admit 12 张三 男 45")) == "✅ 已入院：12床 张三"
    assert "12床 张* 男 45岁" in (await ward.board()).text
    # Every update came by the webhook; the bot never long-polled.
    assert ward.emu.webhook_deliveries >= 5
    assert not [c for c in ward.emu.requests if c.method == "getUpdates"]
    async with aiohttp.ClientSession() as session:
        info = await session.get(f"{ward.emu.api_root}/bot{TOKEN}/getWebhookInfo")
        assert (await info.json())["result"]["url"] == f"{base}/telegram/hook"


async def test_a_post_without_the_secret_gets_403_and_changes_nothing(
    hooked: tuple[Ward, str],
) -> None:
    ward, base = hooked
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 张三 男 45")
    before = (await ward.board()).text
    forged = {
        "update_id": 990001,
        "message": {
            "message_id": 77,
            "date": 1_795_000_000,
            "chat": {"id": ward.nurse.id, "type": "private", "first_name": "李娜"},
            "from": {"id": ward.nurse.id, "is_bot": False, "first_name": "李娜"},
            "text": "/discharge 12",
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    }
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {SECRET_HEADER: "wrong-secret-0123456789"}, {SECRET_HEADER: ""}):
            answer = await session.post(f"{base}/telegram/hook", json=forged, headers=headers)
            assert answer.status == 403
            assert await answer.text() == ""
        # With the secret but no update: 400, nothing done either.
        answer = await session.post(
            f"{base}/telegram/hook", data=b"{not json", headers={SECRET_HEADER: SECRET}
        )
        assert answer.status == 400
    await ward.emu.settle()
    assert (await ward.board()).text == before
    assert not [m for m in ward.emu.chat(ward.nurse.id).bot_messages() if "出院" in m.text]


async def test_healthz_says_the_database_and_the_dispatcher_are_alive(
    hooked: tuple[Ward, str],
) -> None:
    ward, base = hooked
    await ward.ticks(2)
    async with aiohttp.ClientSession() as session:
        answer = await session.get(f"{base}/healthz")
        assert answer.status == 200
        body = await answer.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["mode"] == "webhook"
    assert 0 <= body["dispatcher_tick_age_s"] < 5
    assert set(body) == {"status", "database", "mode", "dispatcher_tick_age_s"}  # no ward data

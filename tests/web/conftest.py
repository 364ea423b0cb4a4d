"""The station screen end to end: the bot with its web server, and a real headless Chromium.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright without its own browser
download. On a fresh machine the session installs it with apt-get (as root, as CI runs);
if that is impossible the browser tests FAIL: a skipped screen test would pass unnoticed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator
from bot.runtime import SCREEN_KEY, WardApplication
from bot.web import ScreenServer
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, TOKEN, Ward

CHROMIUM = "/usr/bin/chromium"


def _install_chromium() -> None:
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail(f"{CHROMIUM} is missing and there is no apt-get to install it", pytrace=False)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for command in ([apt, "update"], [apt, "install", "-y", "chromium"]):
        done = subprocess.run(
            [*prefix, *command], env=env, capture_output=True, text=True, timeout=900, check=False
        )
        if done.returncode != 0 and command[1] == "install":
            pytest.fail(f"could not install chromium: {done.stderr[-600:]}", pytrace=False)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium, installed first when missing."""
    if not os.access(CHROMIUM, os.X_OK):
        _install_chromium()
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is still missing after apt-get install", pytrace=False)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Screen(Ward):
    """A running bot with its station-screen server."""

    @property
    def server(self) -> ScreenServer:
        server = self.runtime.extras[SCREEN_KEY]
        assert isinstance(server, ScreenServer)
        return server

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def display_link(self, args: str = "") -> str:
        reply = await self.reply(self.head, f"/display {args}".strip())
        link = next(w for w in reply.split() if "/display/" in w)
        # The reply names the public URL; the test reaches the server directly.
        return self.base + link[link.index("/display/") :]


@contextlib.asynccontextmanager
async def bot_on(
    emu: BotApiEmulator, database: Database, clock: ManualClock, port: int, **extra: object
) -> AsyncIterator[WardApplication]:
    """The bot with its web server on 127.0.0.1:`port` (0: any free port)."""
    async with running_bot(
        emu,
        database,
        clock,
        board_delay=0.05,
        board_min_interval=0.05,
        dispatch_seconds=3600.0,
        http_listen=f"127.0.0.1:{port}",
        **extra,
    ) as app:
        yield app


@contextlib.asynccontextmanager
async def world(database: Database) -> AsyncIterator[tuple[BotApiEmulator, ManualClock]]:
    """The emulator with the ward's people and group, at 08:00 on a Monday in Shanghai."""
    clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu:
        head = emu.add_user(501, "王芳", language_code="zh-hans")
        nurse = emu.add_user(502, "李娜", language_code="zh-hans")
        stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
        emu.add_group(GROUP_ID, "普外一病区群", members=[head, nurse, stranger])
        yield emu, clock


def screen_of(
    emu: BotApiEmulator, app: WardApplication, clock: ManualClock, db: Database
) -> Screen:
    return Screen(emu, app, clock, db, emu.user(501), emu.user(502), emu.user(509))


@contextlib.asynccontextmanager
async def screen_ward(database: Database, **extra: object) -> AsyncIterator[Screen]:
    async with world(database) as (emu, clock), bot_on(emu, database, clock, 0, **extra) as app:
        yield screen_of(emu, app, clock, database)


@pytest.fixture
async def screen(database: Database) -> AsyncIterator[Screen]:
    async with screen_ward(database) as ready:
        await ready.ready()
        yield ready

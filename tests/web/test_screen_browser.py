"""The station screen in a real headless Chromium: it renders, follows the chat, recovers."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from boards.masking import mask_name
from bot.emulator import sign_init_data
from storage.uow import Database
from tests.bot.conftest import TOKEN
from tests.web.conftest import Screen, bot_on, screen_of, world

_VIEWPORT = {"width": 1920, "height": 1080}


async def _open(browser: Any, url: str) -> Any:
    page = await browser.new_page(viewport=_VIEWPORT)
    await page.goto(url)
    return page


async def _bed_text(page: Any, bed: str) -> str:
    text: str = await page.locator(f'#board .bed[data-bed="{bed}"]').inner_text()
    return text


async def test_the_page_renders_the_board_in_the_shipped_font(
    screen: Screen, browser: Any
) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45 急性阑尾炎 一级")
    await screen.say(screen.nurse, "/critical 12 病危")
    page = await _open(browser, await screen.display_link())
    assert await page.locator("#board .bed").count() == 40
    cell = await _bed_text(page, "12")
    assert mask_name("张三丰") in cell and "病危" in cell and "一级护理" in cell
    assert "空床" in await _bed_text(page, "13")
    # The Chinese is drawn in our font, loaded from our server (no system font, no CDN).
    assert await page.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('30px \"WardBoard Sans\"', '张'))"
    )
    loaded = await page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("WardBoard Sans" in family for family in loaded)
    await page.close()


async def test_an_admission_in_the_chat_reaches_the_page_within_two_seconds(
    screen: Screen, browser: Any
) -> None:
    page = await _open(browser, await screen.display_link())
    await page.wait_for_function("() => window.wardboardVersion >= 1")  # the stream is open
    started = time.monotonic()
    screen.nurse.post("/admit 7 欧阳明华 男 78 肠梗阻 二级")
    await page.wait_for_function(
        "name => document.querySelector('#board .bed[data-bed=\"7\"]').innerText.includes(name)",
        arg=mask_name("欧阳明华"),
        timeout=2000,
    )
    assert time.monotonic() - started < 2.0
    await screen.emu.settle()
    await page.close()


async def test_a_rotated_link_stops_the_open_page_and_opens_nothing(
    screen: Screen, browser: Any
) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45")
    old = await screen.display_link()
    page = await _open(browser, old)
    await page.wait_for_function("() => window.wardboardVersion >= 1")
    new = await screen.display_link("new")
    await page.wait_for_function("() => !document.querySelector('#board .bed')", timeout=2000)
    assert "失效" in await page.locator("#status").inner_text()
    again = await browser.new_page(viewport=_VIEWPORT)
    response = await again.goto(old)
    assert response.status == 404
    assert "张" not in await again.content()
    response = await again.goto(new)
    assert response.status == 200
    await page.close()
    await again.close()


async def test_the_page_reconnects_after_the_server_restarts(
    database: Database, browser: Any
) -> None:
    async with world(database) as (emu, clock):
        async with bot_on(emu, database, clock, 0) as app:
            first = screen_of(emu, app, clock, database)
            await first.ready()
            link = await first.display_link()
            port = first.server.port
            page = await _open(browser, link)
            await page.wait_for_function("() => window.wardboardVersion >= 1")
        # The bot and its web server are down: the page says so and keeps the board.
        await page.wait_for_function(
            "() => !document.getElementById('status').hidden", timeout=5000
        )
        assert await page.locator("#board .bed").count() == 40
        async with bot_on(emu, database, clock, port) as app:
            second = screen_of(emu, app, clock, database)
            # Back: the page reconnects by itself and follows the chat again.
            await page.wait_for_function(
                "() => document.getElementById('status').hidden", timeout=10000
            )
            second.nurse.post("/admit 3 孙七 女 50")
            await page.wait_for_function(
                "n => document.querySelector('#board .bed[data-bed=\"3\"]').innerText.includes(n)",
                arg=mask_name("孙七"),
                timeout=3000,
            )
            await emu.settle()
        await page.close()


async def test_the_mini_app_shows_full_names_from_signed_launch_data(
    screen: Screen, browser: Any
) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45")
    now = int(screen.clock.now().timestamp())
    good = sign_init_data(TOKEN, user_id=screen.nurse.id, first_name="李娜", auth_date=now)
    page = await _open(
        browser, f"{screen.base}/app#tgWebAppData={quote(good)}&tgWebAppVersion=8.0"
    )
    await page.wait_for_selector('#board .bed[data-bed="12"]')
    assert "张三丰" in await _bed_text(page, "12")
    forged = good.replace("502", "509", 1)
    other = await _open(browser, f"{screen.base}/app#tgWebAppData={quote(forged)}")
    await other.wait_for_function("() => !document.getElementById('status').hidden")
    assert "张" not in await other.locator("#board").inner_text()
    await page.close()
    await other.close()

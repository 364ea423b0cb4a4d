"""The station screen over HTTP: links given, rotated and revoked; live events; the Mini App."""

from __future__ import annotations

import asyncio
import html
import re
import time
from urllib.parse import quote

import aiohttp

from bot.emulator import sign_init_data
from storage.uow import Database
from tests.bot.conftest import TOKEN
from tests.web.conftest import Screen, screen_ward


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_the_head_nurse_gets_a_link_that_shows_the_board_masked(screen: Screen) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45 急性阑尾炎 二级")
    link = await screen.display_link()
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 random bits
    status, page = await _get(link)
    assert status == 200
    assert page.count("data-bed=") == 40
    assert "张*丰" in page and "张三丰" not in page
    assert "急性阑尾炎" not in page  # no diagnosis on a screen
    assert "二级护理" in page and "空床" in page
    # The same link again: the screen on the wall keeps working.
    assert await screen.display_link() == link


async def test_wrong_rotated_and_revoked_links_get_a_bare_404(screen: Screen) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45")
    old = await screen.display_link()
    for path in ("", "/board", "/events"):
        status, body = await _get(old[:-3] + "abc" + path)
        assert status == 404 and "张" not in body
    new = await screen.display_link("new")
    assert new != old
    for path in ("", "/board", "/events"):
        status, body = await _get(old + path)
        assert status == 404 and "张" not in body
    assert (await _get(new))[0] == 200
    reply = await screen.reply(screen.head, "/display off")
    assert "已停用" in reply
    for path in ("", "/board"):
        status, body = await _get(new + path)
        assert status == 404 and "张" not in body
    assert "没有启用" in await screen.reply(screen.head, "/display off")
    # Each change is audited.
    async with screen.database.uow() as uow:
        ward_id = (await uow.wards.by_name("普外科一病区")).id  # type: ignore[union-attr]
        actions = [e.action for e in await uow.audit.of_ward(ward_id)]
    assert {"display:create", "display:rotate", "display:revoke"} <= set(actions)


async def test_full_names_only_when_the_head_nurse_chooses_them(screen: Screen) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45")
    link = await screen.display_link()
    assert "完整姓名" in await screen.reply(screen.head, "/display names full")
    assert "张三丰" in (await _get(link))[1]
    await screen.reply(screen.head, "/display names masked")
    assert "张三丰" not in (await _get(link))[1]


async def test_only_the_head_nurse_in_private_may_ask(screen: Screen) -> None:
    reply = await screen.reply(screen.nurse, "/display")
    assert "/display/" not in reply and "护士长" in reply
    assert "/display/" not in await screen.reply(screen.head, "/display", group=True)


async def test_a_change_in_the_chat_is_announced_to_open_screens(screen: Screen) -> None:
    link = await screen.display_link()
    async with aiohttp.ClientSession() as http, http.get(f"{link}/events") as events:
        assert events.status == 200
        assert events.headers["Content-Type"].startswith("text/event-stream")
        assert (await events.content.readline()).startswith(b"retry:")
        started = time.monotonic()
        screen.nurse.post("/admit 12 张三丰 男 45")

        async def changed() -> None:
            while (await events.content.readline()) != b"event: changed\n":
                pass

        await asyncio.wait_for(changed(), 2.0)
        assert time.monotonic() - started < 2.0
        status, fragment = await _get(f"{link}/board")
        assert status == 200 and fragment.startswith('<main id="board"') and "张*丰" in fragment


async def test_a_rotated_link_closes_its_open_stream(screen: Screen) -> None:
    link = await screen.display_link()
    async with aiohttp.ClientSession() as http, http.get(f"{link}/events") as events:
        await events.content.readline()
        await screen.display_link("new")
        lines = []
        while not events.content.at_eof():
            line = await asyncio.wait_for(events.content.readline(), 2.0)
            if not line:
                break
            lines.append(line)
        assert b"event: gone\n" in lines


async def test_static_files_and_the_shipped_font(screen: Screen) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{screen.base}/static/font.otf") as font:
            assert font.status == 200 and font.content_type == "font/otf"
            assert (await font.read())[:4] == b"OTTO"
        async with http.get(f"{screen.base}/static/screen.js") as script:
            assert script.status == 200 and "EventSource" in await script.text()
        async with http.get(f"{screen.base}/static/../../bot/config.py") as other:
            assert other.status == 404


def _auth(screen: Screen, user_id: int, *, age: float = 10.0) -> str:
    """Launch data as Telegram signs it, `age` seconds old by the bot's clock."""
    now = screen.clock.now().timestamp()
    return sign_init_data(TOKEN, user_id=user_id, first_name="李娜", auth_date=int(now - age))


async def test_the_mini_app_shows_full_names_to_members_only(database: Database) -> None:
    async with screen_ward(database, webapp_max_age=3600) as screen:
        await screen.ready()
        await screen.say(screen.nurse, "/admit 12 张三丰 男 45")
        app = f"{screen.base}/app/board?auth="
        status, page = await _get(app + quote(_auth(screen, screen.nurse.id)))
        assert status == 200 and "张三丰" in page
        # A stranger with genuine launch data is not a member: nothing.
        status, page = await _get(app + quote(_auth(screen, screen.stranger.id)))
        assert status == 403 and "张" not in page
        # Forged: another user id under the nurse's signature.
        forged = _auth(screen, screen.nurse.id).replace("502", "509", 1)
        assert (await _get(app + quote(forged)))[0] == 403
        # Stale: signed two hours ago.
        assert (await _get(app + quote(_auth(screen, screen.nurse.id, age=7200))))[0] == 403
        assert (await _get(app))[0] == 403
        status, shell = await _get(f"{screen.base}/app")
        assert status == 200 and "张" not in shell


async def test_board_offers_the_mini_app_when_the_public_url_is_https(database: Database) -> None:
    async with screen_ward(database, public_url="https://ward.example.org") as screen:
        await screen.ready()
        sent = await screen.say(screen.nurse, "/board")
        buttons = [b for m in sent for row in m.buttons() for b in row]
        assert ("打开白板", "https://ward.example.org/app") in buttons
        group = await screen.say(screen.nurse, "/board", group=True)
        assert not [b for m in group for row in m.buttons() for b in row]


async def test_no_mini_app_button_over_plain_http(screen: Screen) -> None:
    sent = await screen.say(screen.nurse, "/board")
    assert not [b for m in sent for row in m.buttons() for b in row]


async def test_every_character_on_the_page_has_a_glyph_in_the_shipped_font(
    screen: Screen,
) -> None:
    from fontTools.ttLib import TTFont

    from boards.fonts import font_path

    await screen.say(screen.nurse, "/admit 12 欧阳明华 男 45 肠梗阻 特级")
    await screen.say(screen.nurse, "/critical 12 病危")
    await screen.say(screen.nurse, "/surgery 12 10:30 腹腔镜阑尾切除术")
    await screen.say(screen.nurse, "/tag 12 防跌倒")
    await screen.say(screen.nurse, "/exam 12 15:00 上腹部CT")
    link = await screen.display_link()
    await screen.reply(screen.head, "/display names full")
    _, page = await _get(link)
    body = page.split("<body", 1)[1]
    visible = html.unescape(re.sub(r"<[^>]+>", " ", body.split(">", 1)[1]))
    with font_path().open("rb") as handle:
        glyphs = TTFont(handle).getBestCmap()
    missing = {ch for ch in visible if not ch.isspace() and ord(ch) not in glyphs}
    assert not missing, f"no glyph for {sorted(missing)}"
    assert "欧阳明华" in visible and "腹腔镜" in visible


def _cell(page: str, bed: str) -> str:
    start = page.index(f'data-bed="{bed}"')
    return page[start : page.index('<div class="bed', start)]


async def test_a_bed_shows_its_marks_and_allergens_only_with_full_names(screen: Screen) -> None:
    await screen.say(screen.nurse, "/admit 12 张三丰 男 45 肠梗阻 一级")
    await screen.say(screen.nurse, "/line 12 外周静脉留置针 左前臂 11-17 8:30 补液")
    await screen.say(screen.nurse, "/tag 12 过敏 青霉素")
    await screen.say(screen.nurse, "/surgery 12 14:00 剖腹探查术")
    link = await screen.display_link()
    cell = _cell((await _get(link))[1], "12")
    assert "一级护理" in cell and "14:00 待手术" in cell
    assert "⚠外周静脉留置针 第7天" in cell
    assert "过敏" in cell and "青霉素" not in cell
    await screen.reply(screen.head, "/display names full")
    cell = _cell((await _get(link))[1], "12")
    assert "张三丰" in cell and "青霉素" in cell


async def test_the_screen_paints_in_the_wards_colours(screen: Screen) -> None:
    # The head nurse's colours (/policy colour, shared with the board picture) reach the
    # screen; the stylesheet's are only the defaults. Text stays readable on each.
    link = await screen.display_link()
    page = (await _get(link))[1]
    assert ".bed.lv-1 .band{background:#CC79A7;" in page
    await screen.reply(screen.head, "/policy colour 一级 #123456")
    page = (await _get(link))[1]
    assert ".bed.lv-1 .band{background:#123456;color:#FFFFFF}" in page

"""From a message in the chat to the station screen showing it, in a real headless Chromium.

    .venv/bin/python bench/screen_latency.py                 # 30 changes on a 60-bed ward
    .venv/bin/python bench/screen_latency.py --screenshot docs/screen.png

A fresh SQLite ward of 60 beds with 45 patients (levels, critical, operations, tags, lines),
the bot against the Bot API emulator with its web server on 127.0.0.1, the screen open in
Debian's Chromium (/usr/bin/chromium) at 1920x1080. Each round a nurse sends `/admit` or
`/discharge` in a private chat; the time is taken from the message leaving the emulator's
user to the page's bed cell changing (the page's own clock, polled in the page). Target:
under one second. `--screenshot` saves the screen for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from boards.clock import ManualClock
from boards.masking import mask_name
from bot.demo import running_bot
from bot.emulator import BotApiEmulator
from bot.runtime import SCREEN_KEY
from bot.web import ScreenServer
from storage.migrate import upgrade
from storage.uow import Database

TOKEN = "123456789:BENCH-wardboard-screen"
GROUP = -1009001
_SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = ["建国", "秀英", "明华", "丽娟", "志强", "桂兰", "海燕", "文博", "玉梅", "德胜"]
_LEVELS = ["特级", "一级", "二级", "二级", "三级"]


def _name(i: int) -> str:
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[i % len(_GIVEN)]


async def _fill(say: Any) -> None:
    """45 of 60 beds taken, with what a surgical ward's board shows on a weekday morning."""
    for bed in range(1, 61):
        if bed % 4 == 0:
            continue
        sex = "男" if bed % 2 else "女"
        level = _LEVELS[bed % len(_LEVELS)]
        await say(f"/admit {bed} {_name(bed)} {sex} {30 + bed} 诊断{bed} {level}")
    for bed in (3, 17, 42):
        await say(f"/critical {bed} 病危")
    for bed in (6, 29):
        await say(f"/critical {bed} 病重")
    for bed, when in ((5, "10:30"), (13, "14:00"), (22, "明天 9:00"), (38, "15:30")):
        await say(f"/surgery {bed} {when} 腹腔镜手术")
    for bed, tag in (
        (1, "防跌倒"),
        (7, "防坠床"),
        (10, "过敏 青霉素"),
        (18, "防压疮"),
        (27, "防跌倒"),
    ):
        await say(f"/tag {bed} {tag}")
    await say("/line 9 外周静脉留置针 左前臂 11-17 8:30 补液")
    await say("/line 14 PICC 右上臂 11-10 化疗")
    await say("/exam 11 15:00 上腹部CT")
    await say("/note 19 明晨空腹抽血")


async def _bench(rounds: int, screenshot: Path | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade(url)
        database = Database(url)
        clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
        try:
            async with (
                BotApiEmulator(token=TOKEN, bot_username="wardboard_bench_bot") as emu,
                running_bot(
                    emu,
                    database,
                    clock,
                    board_delay=0.2,
                    board_min_interval=0.3,
                    dispatch_seconds=3600.0,
                    http_listen="127.0.0.1:0",
                    user_actions_per_minute=0,
                ) as app,
            ):
                head = emu.add_user(501, "王芳", language_code="zh-hans")
                emu.add_group(GROUP, "普外一病区群", members=[head])

                async def say(text: str) -> None:
                    await head.say(text)

                await say("/newward 普外科一病区 60")
                await head.say("/bind", chat=emu.chat(GROUP))
                await _fill(say)
                reply = (await head.say("/display"))[-1].text
                server = app.bot_data["wardboard.runtime"].extras[SCREEN_KEY]
                assert isinstance(server, ScreenServer)
                link = next(w for w in reply.split() if "/display/" in w)
                await _measure(emu, head, link, rounds, screenshot)
        finally:
            await database.dispose()


async def _measure(
    emu: BotApiEmulator, head: Any, link: str, rounds: int, screenshot: Path | None
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(link)
        await page.wait_for_function("() => window.wardboardVersion >= 1")
        await page.evaluate("document.fonts.ready")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(screenshot))
            print(f"screenshot of the 60-bed ward written to {screenshot}")
        figures = []
        for i in range(rounds):
            bed = 4 * (i % 15 + 1)  # an empty bed each round, taken then freed
            name = _name(100 + i)
            for text, shown in (
                (f"/admit {bed} {name} 男 50", mask_name(name)),
                (f"/discharge {bed}", "空床"),
            ):
                started = time.perf_counter()
                head.post(text)
                await page.wait_for_function(
                    "([bed, text]) => document.querySelector("
                    '`#board .bed[data-bed="${bed}"]`).innerText.includes(text)',
                    arg=[str(bed), shown],
                    timeout=5000,
                    polling=5,
                )
                figures.append(time.perf_counter() - started)
                await emu.settle(idle=0.05)
        await browser.close()
    figures.sort()
    ms = [f * 1000 for f in figures]
    print(f"chat message -> station page showing it, {len(ms)} changes, 60-bed ward:")
    print(
        f"  median {statistics.median(ms):.0f} ms · p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms"
        f" · max {ms[-1]:.0f} ms · min {ms[0]:.0f} ms (target < 1000 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="admit+discharge pairs")
    parser.add_argument("--screenshot", type=Path, help="save the 60-bed screen as PNG")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_bench(args.rounds, args.screenshot))


if __name__ == "__main__":
    main()

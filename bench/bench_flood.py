"""How long the 08:00 reminder waits behind a flood of commands in the ward group, before and
after the flood gate and the priority rate limiter, against the Bot API emulator enforcing
Telegram's limits (20 messages a minute per group, 30 a second overall).

    .venv/bin/python bench/bench_flood.py               # Telegram's minute: about 9 minutes
    .venv/bin/python bench/bench_flood.py --minute 6    # everything scaled to a 6 s minute

Scenarios, each on a fresh SQLite ward with one patient whose 08:00 dose falls due while
the flood is being answered:
  stranger  someone in the group but not in the ward sends 30 commands
  members   two nurses of the ward send 15 /tasks each
Set-ups:
  before    PTB's AIORateLimiter, every command answered (the code before this change)
  priority  PriorityRateLimiter without its reserve, plus the gate
  after     PriorityRateLimiter as the bot builds it (3 places a minute kept), plus the gate
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, BaseRateLimiter

import bot.handlers
from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, EmuChat, EmuUser
from bot.ratelimit import PriorityRateLimiter
from bot.runtime import WardContext
from storage.migrate import open_database

# PTB 22 warns whenever it builds a RetryAfter unless told to use timedelta already.
os.environ["PTB_TIMEDELTA"] = "1"

TOKEN = "123456789:BENCH-flood-token"
GROUP = -1009001
START = datetime(2026, 11, 22, 23, 58, tzinfo=UTC)  # 07:58 in Shanghai
STRANGER_TRIES = ("/help", "/board", "/tasks", "/start", "/admit 12 张三 男 45")


@dataclass
class Result:
    scenario: str
    setup: str
    reminder_wait: float | None
    replies_before: int
    replies: int
    drained: float | None
    rate_limited: int
    notes: int
    failures: int


class _Failures(logging.Handler):
    """Counts the bot's logged failures (a dispatcher tick that found SQLite locked, say)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


FAILURES = _Failures()


async def _admit_all(update: Update, context: WardContext) -> bool:
    return True


@contextlib.contextmanager
def _gate(on: bool) -> Any:
    """The old code: no gate at all (the handlers' reference to it, swapped for the run)."""
    original = bot.handlers.admit
    if not on:
        bot.handlers.admit = _admit_all
    try:
        yield
    finally:
        bot.handlers.admit = original


def _limiter(setup: str, minute: float) -> BaseRateLimiter[Any]:
    if setup == "before":
        return AIORateLimiter(group_time_period=minute, max_retries=5)
    reserve = 0 if setup == "priority" else 3
    return PriorityRateLimiter(group_time_period=minute, group_reserve=reserve, max_retries=5)


@contextlib.asynccontextmanager
async def _ward(setup: str, minute: float, folder: Path) -> AsyncIterator[_World]:
    url = f"sqlite+aiosqlite:///{folder / f'{setup}-{time.monotonic_ns()}.db'}"
    database = await open_database(url)
    clock = ManualClock(START)
    try:
        async with BotApiEmulator(
            token=TOKEN,
            bot_username="wardboard_bench_bot",
            enforce_limits=True,
            group_limit=(20, minute),
        ) as emu:
            head = emu.add_user(501, "王芳", language_code="zh-hans")
            nurse = emu.add_user(502, "李娜", language_code="zh-hans")
            stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
            emu.add_group(GROUP, "普外一病区群", members=[head, nurse, stranger])
            with _gate(setup != "before"):
                async with running_bot(
                    emu,
                    database,
                    clock,
                    rate_limiter=_limiter(setup, minute),
                    board_delay=0.5,
                    board_min_interval=1.0,
                    dispatch_seconds=0.1,
                ):
                    world = _World(emu, clock, head, nurse, stranger)
                    await world.ready()
                    yield world
    finally:
        await database.dispose()


@dataclass
class _World:
    emu: BotApiEmulator
    clock: ManualClock
    head: EmuUser
    nurse: EmuUser
    stranger: EmuUser

    @property
    def group(self) -> EmuChat:
        return self.emu.chat(GROUP)

    async def ready(self) -> None:
        await self.head.say("/newward 普外科一病区 40")
        invite = (await self.head.say("/invite"))[-1].text
        payload = invite.split("?start=", 1)[1].split()[0]
        sent = await self.nurse.say(f"/start {payload}")
        request = next(m for m in sent if m.chat_id == self.head.id)
        await self.head.press(request, "批准")
        await self.head.say("/bind", self.group)
        await self.nurse.say("/admit 12 张三 男 45")
        await self.nurse.say("/med 12 阿莫西林 0.5g po bid")
        await self.stranger.say("/start")  # so a private note can reach her
        self.clock.advance(timedelta(minutes=1))  # 07:59

    def replies(self) -> list[str]:
        return [
            m.text
            for m in self.group.bot_messages()
            if not m.text.startswith(("⏰", "📋", "本群已绑定"))
        ]

    def reminder_index(self) -> int | None:
        texts = [
            m.text
            for m in self.group.bot_messages()
            if not m.text.startswith(("📋", "本群已绑定"))
        ]
        return next((i for i, t in enumerate(texts) if t.startswith("⏰")), None)


async def _until(predicate: Callable[[], bool], timeout: float) -> float | None:  # noqa: ASYNC109
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            return None
        await asyncio.sleep(0.02)
    return time.monotonic() - began


async def _run(scenario: str, setup: str, minute: float, folder: Path) -> Result:
    FAILURES.count = 0
    async with _ward(setup, minute, folder) as world:
        replies_at_start = len(world.replies())
        notes_at_start = len(world.emu.chat(world.stranger.id).bot_messages())
        if scenario == "stranger":
            for number in range(30):
                world.stranger.post(STRANGER_TRIES[number % len(STRANGER_TRIES)], world.group)
            expected = 30 if setup == "before" else 0
        else:
            for _ in range(15):
                world.nurse.post("/tasks", world.group)
                world.head.post("/tasks", world.group)
            expected = 30
        await asyncio.sleep(2.0)  # the flood is being answered
        world.clock.advance(timedelta(minutes=1))  # 08:00: the dose falls due
        due = time.monotonic()
        waited = await _until(lambda: world.reminder_index() is not None, 4 * minute)
        index = world.reminder_index()
        before = 0 if index is None else index - replies_at_start
        drained: float | None = None
        if expected:
            done = await _until(
                lambda: len(world.replies()) - replies_at_start >= expected, 6 * minute
            )
            drained = math.inf if done is None else time.monotonic() - due
        return Result(
            scenario,
            setup,
            math.inf if waited is None else waited,
            before,
            len(world.replies()) - replies_at_start,
            drained,
            len(world.emu.rate_limited),
            len(world.emu.chat(world.stranger.id).bot_messages()) - notes_at_start,
            FAILURES.count,
        )


def _seconds(value: float | None, minute: float) -> str:
    if value is None:
        return "—"
    if value == math.inf:
        return "never"
    return f"{value:6.1f} s" if minute == 60 else f"{value * 60 / minute:6.1f} s*"


async def _main(args: argparse.Namespace) -> None:
    minute = args.minute
    print(f"group limit: 20 messages per {minute:g} s (Telegram: 60 s); overall 30 a second")
    if minute != 60:
        print("* times scaled back to Telegram's minute")
    print()
    header = (
        f"{'scenario':9} {'set-up':9} {'08:00 reminder':>15} {'replies ahead':>14} "
        f"{'replies':>8} {'all replies':>12} {'429s':>5} {'notes':>6} {'failures':>9}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for scenario in ("stranger", "members"):
            for setup in ("before", "priority", "after"):
                r = await _run(scenario, setup, minute, Path(folder))
                print(
                    f"{r.scenario:9} {r.setup:9} {_seconds(r.reminder_wait, minute):>15} "
                    f"{r.replies_before:>14} {r.replies:>8} {_seconds(r.drained, minute):>12} "
                    f"{r.rate_limited:>5} {r.notes:>6} {r.failures:>9}",
                    flush=True,
                )
    print()
    print("08:00 reminder: from the moment it fell due to its message in the group")
    print("replies ahead:  flood replies in the group before the reminder")
    print("all replies:    from the moment the dose fell due until the last flood reply")
    print("                (ordinary messages get 17 of the group's 20 places a minute)")
    print("429s:           Too Many Requests answers from the emulator")
    print("notes:          private notes to the stranger")
    print("failures:       errors the bot logged, such as a reminder tick or board refresh")
    print("                that found SQLite locked by a reply waiting for the group limit")


def main() -> None:
    # Counted, not printed: the scheduler warns of every tick skipped while a reminder waits,
    # and each failure comes with its stack.
    logging.basicConfig(handlers=[FAILURES])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--minute", type=float, default=60.0, help="seconds the emulator and bot count as a minute"
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

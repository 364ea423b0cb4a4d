"""End-to-end harness: the real Application over HTTP against the Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, EmuMessage, EmuUser
from bot.runtime import RUNTIME_KEY, Runtime, WardApplication
from storage.uow import Database

TOKEN = "123456789:TEST-wardboard-token"
GROUP_ID = -1009001


@dataclass
class Ward:
    """A running bot plus the people of one ward, as the tests play them."""

    emu: BotApiEmulator
    app: WardApplication
    clock: ManualClock
    database: Database
    head: EmuUser
    nurse: EmuUser
    stranger: EmuUser

    @property
    def runtime(self) -> Runtime:
        runtime = self.app.bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime

    async def say(self, user: EmuUser, text: str, *, group: bool = False) -> list[EmuMessage]:
        return await user.say(text, chat=self.emu.chat(GROUP_ID) if group else None)

    async def reply(self, user: EmuUser, text: str, *, group: bool = False) -> str:
        """The text of the bot's answer in the chat the user typed in."""
        chat_id = GROUP_ID if group else user.id
        sent = [m for m in await self.say(user, text, group=group) if m.chat_id == chat_id]
        assert sent, f"no reply to {text!r}"
        return "\n".join(m.text for m in sent)

    async def board(self) -> EmuMessage:
        """The pinned board in the ward group, once pending refreshes have run."""
        await self.runtime.publisher.flush()
        await self.emu.settle()
        chat = self.emu.chat(GROUP_ID)
        pinned = [m for m in chat.messages if m.message_id == chat.pinned_message_id]
        assert pinned, "no pinned board"
        return pinned[0]

    async def create_ward(self) -> None:
        assert "已创建病区" in await self.reply(self.head, "/newward 普外科一病区 40")

    async def join_nurse(self) -> None:
        invite = await self.reply(self.head, "/invite")
        payload = invite.split("?start=", 1)[1].split()[0]
        sent = await self.say(self.nurse, f"/start {payload}")
        request = next(m for m in sent if m.chat_id == self.head.id)
        await self.head.press(request, "批准")

    async def bind_group(self) -> None:
        await self.say(self.head, "/bind", group=True)

    async def ward_id(self, name: str = "普外科一病区") -> int:
        async with self.database.uow() as uow:
            ward = await uow.wards.by_name(name)
        assert ward is not None
        return ward.id

    async def ticks(self, n: int = 5, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Let the reminder dispatcher finish `n` more ticks at the current manual time
        (counted, not slept: a loaded machine slows the ticks, not the test's meaning)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await asyncio.sleep(0)
        dispatcher = self.runtime.extras.get("dispatcher")
        start = getattr(dispatcher, "runs", 0)
        while True:
            dispatcher = self.runtime.extras.get("dispatcher")
            if getattr(dispatcher, "runs", 0) >= start + n:
                break
            assert loop.time() < deadline, "the dispatcher did not tick"
            await asyncio.sleep(0.02)
        await self.runtime.publisher.flush()
        await self.emu.settle()

    async def ready(self) -> None:
        await self.create_ward()
        await self.join_nurse()
        await self.bind_group()


@dataclass
class Shift:
    """One emulator, database and clock, and a bot that can be stopped and started again
    on them: restarts, downtime, two instances."""

    emu: BotApiEmulator
    database: Database
    clock: ManualClock
    head: EmuUser
    nurse: EmuUser
    stranger: EmuUser

    @contextlib.asynccontextmanager
    async def bot(self) -> AsyncIterator[Ward]:
        async with running_bot(
            self.emu,
            self.database,
            self.clock,
            board_delay=0.05,
            board_min_interval=0.05,
            dispatch_seconds=0.1,
        ) as app:
            yield Ward(
                self.emu, app, self.clock, self.database, self.head, self.nurse, self.stranger
            )


@pytest.fixture
async def shift(database: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shift]:
    # PTB warns on every RetryAfter it builds unless told to use timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    clock = ManualClock(datetime(2026, 11, 22, 23, 30, tzinfo=UTC))  # 07:30 in Shanghai
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu:
        head = emu.add_user(501, "王芳", language_code="zh-hans")
        nurse = emu.add_user(502, "李娜", language_code="zh-hans")
        stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
        emu.add_group(GROUP_ID, "普外一病区群", members=[head, nurse, stranger])
        yield Shift(emu, database, clock, head, nurse, stranger)


@pytest.fixture
async def ward(database: Database) -> AsyncIterator[Ward]:
    # 08:00 on a Monday in Shanghai; the reminder tick is slow here (its own tests speed it).
    async with _running(database, datetime(2026, 11, 23, 0, 0, tzinfo=UTC), 3600.0) as ready:
        yield ready


@pytest.fixture
async def reminder_ward(database: Database) -> AsyncIterator[Ward]:
    # 07:30 in Shanghai, with a reminder tick every 0.1 s.
    async with _running(database, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 0.1) as ready:
        yield ready


@contextlib.asynccontextmanager
async def _running(
    database: Database, start: datetime, tick: float, **settings: object
) -> AsyncIterator[Ward]:
    clock = ManualClock(start)
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
            dispatch_seconds=tick,
            **settings,
        ) as app:
            yield Ward(emu, app, clock, database, head, nurse, stranger)

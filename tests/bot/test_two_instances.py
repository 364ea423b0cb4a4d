"""Two `wardboard run` instances on one PostgreSQL behind a load balancer, in webhook mode:
commands are served by either, the board stays one pinned message showing the latest
state, each reminder goes out once, and when one instance stops the other carries on.

PostgreSQL only: several instances share a database only there (SQLite is one process's).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from boards import access, services
from boards.clock import ManualClock
from boards.model import Age, Sex
from bot.demo import running_bot
from bot.emulator import BotApiEmulator, HoldAnswer
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, TOKEN, Ward
from tests.bot.test_reminders_delivery import (
    assert_each_sent_once,
    delivered_beds,
    reminder_messages,
    until,
)

SECRET = "two-instances-secret-0123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Balancer:
    """Round robin over the instances' webhook ports; a target that does not answer is
    skipped for the next one (as nginx's proxy_next_upstream does)."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.served: Counter[str] = Counter()
        self._turn = itertools.cycle(range(len(targets)))
        self.port = _free_port()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/hook"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        start = next(self._turn)
        for step in range(len(self.targets)):
            target = self.targets[(start + step) % len(self.targets)]
            try:
                async with self._session.post(
                    target + request.path, data=body, headers=dict(request.headers)
                ) as answer:
                    self.served[target] += 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientError:
                continue
        return web.Response(status=502)

    async def __aenter__(self) -> _Balancer:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()


@pytest.fixture
async def pair(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Ward, Ward, _Balancer, contextlib.AsyncExitStack]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances share a database only on PostgreSQL")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    clock = ManualClock(datetime(2026, 11, 22, 23, 30, tzinfo=UTC))  # 07:30 in Shanghai
    ports = [_free_port(), _free_port()]
    other = Database(database_url)  # the second instance's own engine, as a process has
    async with (
        BotApiEmulator(token=TOKEN, bot_username="wardboard_test_bot") as emu,
        _Balancer([f"http://127.0.0.1:{port}" for port in ports]) as balancer,
    ):
        head = emu.add_user(501, "王芳", language_code="zh-hans")
        nurse = emu.add_user(502, "李娜", language_code="zh-hans")
        stranger = emu.add_user(509, "路人甲", language_code="zh-hans")
        emu.add_group(GROUP_ID, "普外一病区群", members=[head, nurse, stranger])
        wards = []
        stacks = [contextlib.AsyncExitStack(), contextlib.AsyncExitStack()]
        try:
            for stack, db, port in zip(stacks, (database, other), ports, strict=True):
                app = await stack.enter_async_context(
                    running_bot(
                        emu,
                        db,
                        clock,
                        board_delay=0.05,
                        board_min_interval=0.05,
                        dispatch_seconds=0.1,
                        webhook_url=balancer.url,
                        webhook_secret=SECRET,
                        webhook_listen=f"127.0.0.1:{port}",
                    )
                )
                wards.append(Ward(emu, app, clock, db, head, nurse, stranger))
            yield wards[0], wards[1], balancer, stacks[1]
        finally:
            for stack in reversed(stacks):
                await stack.aclose()
            await other.dispose()


async def test_either_instance_serves_and_the_board_stays_one_message(
    pair: tuple[Ward, Ward, _Balancer, contextlib.AsyncExitStack],
) -> None:
    a, b, balancer, _ = pair
    await a.ready()
    for bed in range(11, 17):
        assert (await a.reply(a.nurse, f"/admit {bed} 张三 男 45")) == f"✅ 已入院：{bed}床 张三"
    card = await a.reply(a.nurse, "/card 13")
    assert "13床" in card
    # Both instances served updates.
    assert len(balancer.served) == 2 and min(balancer.served.values()) >= 3
    await b.runtime.publisher.flush()
    board = await a.board()
    for bed in range(11, 17):
        assert f"{bed}床 张* 男 45岁" in board.text
    # One board message in the group, edited in place: not one per instance.
    pins = [c for c in a.emu.requests if c.method == "pinChatMessage" and c.ok]
    assert len({c.params.get("message_id") for c in pins}) == 1


async def test_each_reminder_goes_out_once_and_one_instance_stopping_loses_nothing(
    pair: tuple[Ward, Ward, _Balancer, contextlib.AsyncExitStack],
) -> None:
    a, b, _, stack = pair
    await a.ready()
    beds = [11, 12, 13]
    for bed in beds:
        await a.say(a.nurse, f"/admit {bed} 张三 男 45")
        await a.say(a.nurse, f"/med {bed} 阿莫西林 0.5g po bid")
    a.clock.advance(timedelta(minutes=30))  # 08:00: both dispatchers tick
    await a.ticks(6)
    await b.ticks(6)
    assert delivered_beds(a) == Counter({str(bed): 1 for bed in beds})
    assert len(reminder_messages(a)) == 1
    # B stops (its process ends); the balancer finds only A from now on.
    await stack.aclose()
    assert (await a.reply(a.nurse, "/admit 14 李四 女 60")) == "✅ 已入院：14床 李四"
    await a.say(a.nurse, "/med 14 阿莫西林 0.5g po bid")
    a.clock.advance(timedelta(hours=8))  # 16:00: A alone delivers the second round
    await a.ticks(6)
    # Every dose due so far (08:00 and 16:00, bed 14's from its admission at 08:00 on), once.
    assert delivered_beds(a) == Counter({"11": 2, "12": 2, "13": 2, "14": 2})
    assert len(await assert_each_sent_once(a)) == 8
    assert "14床 李* 女 60岁" in (await a.board()).text


async def test_two_instances_posting_the_board_at_once_end_on_the_latest_state(
    pair: tuple[Ward, Ward, _Balancer, contextlib.AsyncExitStack],
) -> None:
    a, b, _, _ = pair
    await a.ready()
    await a.say(a.nurse, "/admit 11 张三 男 45")
    await a.runtime.publisher.flush()
    await b.runtime.publisher.flush()
    ward_id = await a.ward_id()
    held: list[str] = []

    def slow_first_edit(method: str, params: object) -> HoldAnswer | None:
        # A's edit is on its way to Telegram (slow network) when the ward changes.
        if method == "editMessageText" and not held:
            held.append(method)
            return HoldAnswer(0.8)
        return None

    a.emu.set_fault(slow_first_edit)
    first = asyncio.create_task(a.runtime.publisher.publish(ward_id))
    await until(lambda: bool(held))
    # Meanwhile a change is committed and B posts the board: B must not go first and then
    # be overwritten by A's older copy.
    actor = access.Actor(a.nurse.id, "李娜")
    async with b.database.uow() as uow:
        record = await uow.wards.get(ward_id)
        assert record is not None
        await services.admit(
            uow, b.clock, actor=actor, ward=record, bed="12", name="李四",
            sex=Sex.FEMALE, age=Age(60), diagnosis="肺炎",
        )  # fmt: skip
        await uow.commit()
    await b.runtime.publisher.publish(ward_id)
    await first
    await b.runtime.publisher.flush()
    await a.runtime.publisher.flush()
    board = await a.board()
    assert "11床 张* 男 45岁" in board.text and "12床 李* 女 60岁" in board.text
    assert b.runtime.publisher.busy >= 1  # B waited for A instead of racing it
    pins = [c for c in a.emu.requests if c.method == "pinChatMessage" and c.ok]
    assert len({c.params.get("message_id") for c in pins}) == 1

"""Benchmark of the 08:00 reminder slot: claim, group and render ~12,000 due tasks, then
deliver them against the Bot API emulator with Telegram's flood limits enforced, and compare
with a naive sender that posts one message per task.

    .venv/bin/python bench/bench_reminders.py [--wards 200 --beds 60] [--db sqlite|postgresql]
    .venv/bin/python bench/bench_reminders.py --quick      # 20 wards
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, BaseRateLimiter, Defaults, ExtBot

from boards import queries, tasks
from boards.clock import ManualClock
from boards.i18n import texts
from boards.model import Age, Sex, Stay, TaskKind, TaskOccurrence, Ward
from bot.app import settle_heap
from bot.emulator import BotApiEmulator
from bot.ratelimit import PriorityRateLimiter
from bot.reminders import TASKS_PER_MESSAGE, Dispatcher, keyboard_kwargs, render_slot
from bot.runtime import Runtime
from bot.transaction import transaction
from storage.migrate import open_database
from storage.uow import Database

# PTB 22 warns whenever it builds a RetryAfter unless told to use timedelta already.
os.environ["PTB_TIMEDELTA"] = "1"

TOKEN = "123456:BENCH-TOKEN"
TZ = "Asia/Shanghai"
# The 08:00 round, Beijing time (00:00 UTC).
DUE = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
NOW = DUE + timedelta(seconds=30)
_DRUGS = ("头孢曲松钠 2g ivgtt", "奥美拉唑 40mg iv", "氨溴索 30mg iv", "胰岛素 6U ih")
_CHUNK = 500  # ids per release statement


def _group_id(ward_index: int) -> int:
    return -1_000_000_000_000 - ward_index


def _bound(messages: int, per_second: int = 30) -> int:
    return math.ceil(messages / per_second)


class _Clock:
    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    async def time(self, work: Callable[[], Awaitable[Any]]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = await work()
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        return result

    def __str__(self) -> str:
        return f"wall {self.wall:6.2f} s, CPU {self.cpu:6.2f} s"


# --- database ------------------------------------------------------------------------------


async def _make_url(kind: str, pg_root: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    if kind == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix="wardboard-bench-")
        url = f"sqlite+aiosqlite:///{Path(folder.name).as_posix()}/bench.db"

        async def drop_sqlite() -> None:
            folder.cleanup()

        return url, drop_sqlite
    name = f"wardboard_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(f"{pg_root}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()

    async def drop_pg() -> None:
        engine = create_async_engine(f"{pg_root}/postgres", isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    return f"{pg_root}/{name}", drop_pg


async def _fill(db: Database, wards: int, beds: int) -> list[Ward]:
    """`wards` wards bound to groups, `beds` active stays each, one dose due at 08:00 per bed
    (inserted as materialise would leave them: pending, unsent, remind_at = due_at)."""
    created = DUE - timedelta(days=1)
    made: list[Ward] = []
    for w in range(wards):
        async with db.uow() as uow:
            ward = await uow.wards.add(
                name=f"第{w + 1}病区",
                timezone=TZ,
                locale="zh_CN",
                created_at=created,
                bed_count=beds,
            )
            ward = await uow.wards.update(dataclasses.replace(ward, group_chat_id=_group_id(w)))
            occurrences = []
            for bed in range(1, beds + 1):
                stay = await uow.stays.add(
                    Stay(
                        id=0,
                        ward_id=ward.id,
                        bed=str(bed),
                        name="张三丰" if bed % 2 else "李小红",
                        sex=Sex.MALE if bed % 2 else Sex.FEMALE,
                        age=Age(40 + bed % 50),
                        diagnosis="肺炎",
                        level=None,
                        admitted_at=created,
                        token=secrets.token_urlsafe(16),
                    )
                )
                occurrences.append(
                    TaskOccurrence(
                        id=0,
                        ward_id=ward.id,
                        stay_id=stay.id,
                        kind=TaskKind.MED,
                        source_id=stay.id,
                        rule_code="",
                        planned_at=DUE,
                        due_at=DUE,
                        remind_at=DUE,
                        text=_DRUGS[bed % len(_DRUGS)],
                        created_at=created,
                    )
                )
            await uow.tasks.add_missing(occurrences)
            await uow.commit()
        made.append(ward)
    return made


# --- (a) claim, group, render ----------------------------------------------------------------


async def _claim_group_render(db: Database, owner: str) -> tuple[list[TaskOccurrence], int]:
    claim, load, group = _Clock(), _Clock(), _Clock()
    claimed: list[TaskOccurrence] = []
    rounds = 0
    limit = tasks.CLAIM_LIMIT
    while True:

        async def one_claim(limit: int = limit) -> list[TaskOccurrence]:
            async with db.uow() as uow:
                claimed = await tasks.claim_due(uow, now=NOW, owner=owner, limit=limit)
                await uow.commit()
                return claimed

        batch = await claim.time(one_claim)
        rounds += 1
        if not batch:
            break
        claimed += batch
        limit = tasks.next_claim_limit(limit)

    # What Dispatcher._deliver reads before sending: zones, wards, stays (one get per stay).
    async def load_all() -> tuple[Any, dict[int, Ward], dict[int, Stay]]:
        async with db.uow() as uow:
            zones = await tasks.ward_zones(uow, {t.ward_id for t in claimed})
            wards = {w.id: w for w in await uow.wards.many(list(zones))}
            stays = await queries.stays(uow, {t.stay_id for t in claimed})
        return zones, wards, stays

    zones, wards, stays = await load.time(load_all)

    async def group_and_render() -> tuple[int, int, int]:
        messages = longest = 0
        slots = tasks.group_slots(claimed, zones)
        for slot in slots:
            ward = wards[slot.ward_id]
            t = texts(ward.locale, ward.timezone)
            for start in range(0, len(slot.tasks), TASKS_PER_MESSAGE):
                chunk = slot.tasks[start : start + TASKS_PER_MESSAGE]
                body, _keyboard = render_slot(t, slot.start, slot.late, chunk, stays)
                messages += 1
                longest = max(longest, len(body))
        return len(slots), messages, longest

    slots, messages, longest = await group.time(group_and_render)
    print(
        f"  claim_due x{rounds} (limit {tasks.CLAIM_LIMIT}-{tasks.CLAIM_LIMIT_MAX}): {claim}"
        f"  -> {len(claimed)} tasks"
    )
    print(f"  load zones, wards, {len(stays)} stays:  {load}")
    print(
        f"  group_slots + render_slot:       {group}  -> {slots} slots, "
        f"{messages} messages (<= {TASKS_PER_MESSAGE} tasks each, longest {longest} chars)"
    )
    total_wall = claim.wall + load.wall + group.wall
    total_cpu = claim.cpu + load.cpu + group.cpu
    print(f"  total:                           wall {total_wall:6.2f} s, CPU {total_cpu:6.2f} s")
    return claimed, messages


async def _release(db: Database, claimed: Sequence[TaskOccurrence], owner: str) -> None:
    ids = [t.id for t in claimed]
    async with db.uow() as uow:
        for start in range(0, len(ids), _CHUNK):
            await uow.tasks.release(ids[start : start + _CHUNK], owner=owner)
        await uow.commit()


# --- (b) delivery through the real Dispatcher -------------------------------------------------


class _NoBoard:
    """Stands in for the BoardPublisher: counts board refreshes asked for, sends none (the
    board edits are not part of this benchmark)."""

    def __init__(self) -> None:
        self.requested: set[int] = set()

    def request(self, ward_id: int) -> None:
        self.requested.add(ward_id)


@dataclasses.dataclass
class _BenchRuntime:
    """What Dispatcher uses of the Runtime: the unit of work, the clock, the publisher."""

    uow_factory: Callable[[], Any]
    clock: ManualClock
    publisher: _NoBoard = dataclasses.field(default_factory=_NoBoard)

    def uow(self) -> Any:
        return self.uow_factory()

    def transaction(self) -> Any:
        return transaction(self.uow_factory)


def _bot(emu: BotApiEmulator | str, limiter: BaseRateLimiter[Any]) -> ExtBot[Any]:
    """The bot as bot.app builds it, against an emulator (or its API root URL)."""
    root = emu if isinstance(emu, str) else emu.api_root
    return ExtBot(
        TOKEN,
        base_url=f"{root}/bot",
        rate_limiter=limiter,
        defaults=Defaults(parse_mode=ParseMode.HTML),  # as bot.app builds it
    )


def _sends(emu: BotApiEmulator) -> tuple[int, int]:
    sends = [r for r in emu.requests if r.method == "sendMessage"]
    return sum(r.ok for r in sends), sum(r.error_code == 429 for r in sends)


async def _deliver(db: Database, wards: int, expected: int) -> None:
    async with BotApiEmulator(token=TOKEN, enforce_limits=True) as emu:
        for w in range(wards):
            emu.add_group(_group_id(w), f"第{w + 1}病区")
        # As bot.app builds it: Telegram's published limits, paced, five retries on a 429.
        bot = _bot(emu, PriorityRateLimiter(max_retries=5))
        async with bot:
            runtime = _BenchRuntime(db.uow, ManualClock(DUE - timedelta(minutes=1)))
            dispatcher = Dispatcher(cast(Runtime, runtime), owner="bench-dispatch")
            # A running bot ticked at 07:59 too (and topped the schedule up then).
            await dispatcher.run_once(bot)
            emu.requests.clear()
            runtime.clock.set(NOW)
            began = time.monotonic()  # the emulator stamps calls with time.monotonic()
            started, cpu = time.perf_counter(), time.process_time()
            await dispatcher.run_once(bot)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        sends = [r for r in emu.requests if r.method == "sendMessage"]
    # Reminder messages open with the alarm clock; the rest is the 08:00 handover summary.
    reminders = [r for r in sends if r.ok and str(r.params.get("text", "")).startswith("⏰")]
    others = sum(r.ok for r in sends) - len(reminders)
    refused = sum(r.error_code == 429 for r in sends)
    bound = _bound(len(reminders))
    print(
        f"  Dispatcher.run_once (materialise, claim, send, mark_sent, handover): "
        f"{len(reminders)} reminder messages (expected {expected}) and {others} others "
        f"(the 08:00 handover) in {elapsed:.2f} s wall, {cpu:.2f} s CPU (emulator included); "
        f"{refused} answered 429"
    )
    if reminders:
        first = min(r.time for r in reminders) - began
        last = max(r.time for r in reminders) - began
        print(f"  first reminder {first:.2f} s after the tick began; last {last:.2f} s")
        print(
            f"  reminders sent in {last:.2f} s; bound ceil({len(reminders)}/30) = {bound} s; "
            f"ratio {last / max(bound, 1):.2f}; {len(reminders) / max(last, 1e-9):.1f} messages/s"
        )
        print(
            f"  everything (with the handover, ceil({len(reminders) + others}/30) = "
            f"{_bound(len(reminders) + others)} s): {elapsed:.2f} s, ratio "
            f"{elapsed / max(_bound(len(reminders) + others), 1):.2f}"
        )
    print(f"  board refreshes requested (not sent here): {len(runtime.publisher.requested)}")
    if emu.errors:
        print(f"  emulator errors: {emu.errors[:3]}")


# --- (c) naive: one message per task ---------------------------------------------------------


async def _naive_send(
    bot: ExtBot[Any],
    items: Sequence[TaskOccurrence],
    stays: dict[int, Stay],
    chat_of: dict[int, int],
) -> float:
    t = texts("zh_CN", TZ)
    started = time.perf_counter()
    for task in items:  # one after another, as a sender awaiting each message would
        body, keyboard = render_slot(t, DUE, False, [task], stays)
        await bot.send_message(chat_of[task.ward_id], body, **keyboard_kwargs(keyboard))
    return time.perf_counter() - started


async def _naive(
    db: Database,
    made: Sequence[Ward],
    claimed: Sequence[TaskOccurrence],
    messages: int,
    cap: int,
    beds: int,
) -> None:
    total = len(claimed)
    chat_of = {ward.id: ward.group_chat_id or 0 for ward in made}
    async with db.uow() as uow:
        stays = await queries.stays(uow, {t.stay_id for t in claimed[:cap]})
    by_ward: dict[int, list[TaskOccurrence]] = {}
    for task in claimed:
        by_ward.setdefault(task.ward_id, []).append(task)

    # (c1) the overall 30/s alone: group limit switched off in emulator and limiter.
    sample = list(claimed[:cap])
    off = (10**9, 60.0)
    async with BotApiEmulator(token=TOKEN, enforce_limits=True, group_limit=off) as emu:
        for ward in made:
            emu.add_group(chat_of[ward.id], ward.name)
        limiter = AIORateLimiter(group_max_rate=10**9, max_retries=5)
        async with _bot(emu, limiter) as bot:
            elapsed = await _naive_send(bot, sample, stays, chat_of)
        sent, refused = _sends(emu)
    print(
        f"  (c1) overall limit only, {sent} of the {total} tasks (capped at {cap}): "
        f"{elapsed:.2f} s, bound ceil({sent}/30) = {_bound(sent)} s, {refused} answered 429"
    )
    per_message = elapsed / max(sent, 1)
    print(
        f"       extrapolated to all {total} tasks: {per_message * total:.0f} s "
        f"(bound ceil({total}/30) = {_bound(total)} s) vs the batched sender's "
        f"{_bound(messages)} s bound ({messages} messages)"
    )

    # (c2) one ward's slot under the group limit 20/min, window scaled 60 s -> 6 s.
    scale = 10.0
    window = 60.0 / scale
    ward = made[0]
    one_ward = by_ward[ward.id]
    async with BotApiEmulator(token=TOKEN, enforce_limits=True, group_limit=(20, window)) as emu:
        emu.add_group(chat_of[ward.id], ward.name)
        limiter = AIORateLimiter(group_time_period=window, max_retries=5)
        async with db.uow() as uow:
            stays.update(await queries.stays(uow, {t.stay_id for t in one_ward}))
        async with _bot(emu, limiter) as bot:
            elapsed = await _naive_send(bot, one_ward, stays, chat_of)
        sent, refused = _sends(emu)
    real = elapsed * scale
    print(
        f"  (c2) one ward, {sent} messages to one group, group limit 20 per {window:g} s "
        f"(Telegram's 60 s window scaled by 1/{scale:g}): {elapsed:.2f} s, {refused} answered 429"
    )
    print(
        f"       x{scale:g} = {real:.0f} s in real time for one ward (retry_after is whole "
        f"seconds, so the scaled run overstates a little) "
        f"(bound: {max(0, math.ceil(sent / 20) - 1)} full minutes = "
        f"{60 * max(0, math.ceil(sent / 20) - 1)} s); "
        f"the batched sender sends {math.ceil(beds / TASKS_PER_MESSAGE)} messages per ward"
    )
    wards = len(made)
    print(
        f"       extrapolated, {wards} wards one after another: {real * wards:.0f} s "
        f"({real * wards / 3600:.1f} h); even with the wards in parallel the naive slot takes "
        f"at least max(ceil({total}/30), {60 * max(0, math.ceil(beds / 20) - 1)}) = "
        f"{max(_bound(total), 60 * max(0, math.ceil(beds / 20) - 1))} s"
    )


# --- main ------------------------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> None:
    url, drop = await _make_url(args.db, args.pg_root)
    try:
        db = await open_database(url)
        try:
            started = time.perf_counter()
            made = await _fill(db, args.wards, args.beds)
            print(
                f"{args.db}: {args.wards} wards x {args.beds} beds = {args.wards * args.beds} "
                f"tasks due 08:00, set up in {time.perf_counter() - started:.1f} s"
            )
            # The bot's heap as it runs: its start kept out of the collector's full passes.
            settle_heap()
            print(
                "(a) claim until empty, load, group, render (what Dispatcher does before sending)"
            )
            for _ in range(args.repeat):
                claimed, messages = await _claim_group_render(db, owner="bench-claim")
                await _release(db, claimed, owner="bench-claim")
            if args.cpu_only:
                return
            print(
                "(b) delivery: real Dispatcher + ExtBot with the bot's PriorityRateLimiter "
                "against BotApiEmulator(enforce_limits=True): 30/s overall, 20/min per group"
            )
            await _deliver(db, args.wards, messages)
            print("(c) naive sender: one message per task, sent one after another (send only)")
            await _naive(db, made, claimed, messages, args.naive_cap, args.beds)
        finally:
            await db.dispose()
    finally:
        await drop()


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """--db and --pg-root, as every benchmark on a throwaway database takes them."""
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-root",
        default="postgresql+asyncpg://postgres:test@127.0.0.1:5432",
        help="server URL without a database; a throwaway database is created and dropped",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wards", type=int, default=200)
    parser.add_argument("--beds", type=int, default=60)
    add_database_arguments(parser)
    parser.add_argument(
        "--naive-cap", type=int, default=600, help="messages the naive sender really sends"
    )
    parser.add_argument("--quick", action="store_true", help="20 wards, naive cap 300")
    parser.add_argument(
        "--cpu-only", action="store_true", help="part (a) only: claim, group and render"
    )
    parser.add_argument("--repeat", type=int, default=1, help="part (a) this many times")
    args = parser.parse_args()
    if args.quick:
        args.wards, args.naive_cap = 20, 300
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()

"""Faults during the 08:00 slot, counted: the real Dispatcher and the bot's rate limiter
against the Bot API emulator, with Telegram's limits enforced, while things go wrong.

    .venv/bin/python bench/faults.py [--runs 6 --wards 30 --beds 40 --seed 1] [--db postgresql]
    .venv/bin/python bench/faults.py --db postgresql --private-pg [--pg-restarts 2]

Each run: a fresh database with `wards x beds` doses due at 08:00; stretches of faults on
sendMessage: 429 (retry_after), 500 and 502 answers, answers held past the client's timeout
(PTB: TimedOut) and connections dropped unanswered (NetworkError), each of the last two
either before Telegram took the message or after it had posted it; the dispatcher killed
(SIGKILL, a process of its own) after a random number of accepted messages, then a new
instance under another lease owner ticking on; the clock jumping forward (a suspended
machine: the rest goes out marked late) or back (NTP) between ticks. With `--private-pg`
the bench starts a PostgreSQL cluster of its own (initdb, a free port; never the machine's
server) and restarts it mid-slot (`pg_ctl stop -m fast|immediate`, down for a random
while, start) at random points of the second instance's sending.

Afterwards every task must be delivered exactly once, but for two repeats counted, not
hidden: a message Telegram accepted while the killed instance had not recorded it yet, and a
message Telegram posted whose answer never reached the bot (it cannot tell it went out).
Any other repeat is counted as unexplained. Repeats are counted as task deliveries beyond
the first (put down to the cause of the first) and as messages carrying one; the ward's
08:00 handover report, posted in the same tick, is counted the same way (once a ward).
At the end the database must hold every task as sent ("unrecorded at the end" 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
from collections import Counter
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reminders import (
    DUE,
    TOKEN,
    _BenchRuntime,
    _bot,
    _fill,
    _group_id,
    _make_url,
    add_database_arguments,
)
from private_pg import PrivatePostgres
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from boards.clock import ManualClock
from bot.emulator import ApiCall, ApiError, BotApiEmulator, DropConnection, Fault, HoldAnswer
from bot.ratelimit import PriorityRateLimiter
from bot.reminders import TASKS_PER_MESSAGE, Dispatcher
from bot.runtime import Runtime
from storage.migrate import open_database

os.environ["PTB_TIMEDELTA"] = "1"
_TICK = timedelta(seconds=15)
# Past PTB's read timeout (5 s by default, as bot.app builds the bot).
_HOLD_SECONDS = 6.0
_HANDOVER_TITLE = "🔄 <b>交班报告</b>"  # handover.title, zh_CN: a report's first part
_KINDS = ("429", "500", "502", "timeout", "timeout accepted", "drop", "drop accepted")
_ROOT = str(Path(__file__).resolve().parents[1])


def _is_handover(params: dict[str, Any]) -> bool:
    """The last part of a handover report: its take-over button (h:ward:handover)."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard", [])
    return any(str(b.get("callback_data", "")).startswith("h:") for row in rows for b in row)


def _task_ids(params: dict[str, Any]) -> list[int]:
    """The tasks a reminder message carries: its done buttons name them (t:ward:task:d)."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    ids = []
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            parts = str(button.get("callback_data", "")).split(":")
            if len(parts) == 4 and parts[0] == "t" and parts[3] == "d":
                ids.append(int(parts[2]))
    return ids


class _LogCount(logging.Handler):
    """The bot's warnings and errors, counted by message template rather than printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        what = f"{record.levelname.lower()}: {record.msg}".split("\n")[0][:70]
        if record.exc_info and record.exc_info[0] is not None:
            what += f" ({record.exc_info[0].__name__})"
        self.counts[what] += 1


class _Faults:
    """Stretches of faults on sendMessage, chosen by a seeded random generator: error
    answers, answers held past the client's timeout, dropped connections."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.left = 0
        self.kind = ""
        self.fault: Fault | None = None
        self.injected: Counter[str] = Counter()

    def __call__(self, method: str, params: Any) -> Fault | None:
        if method.lower() != "sendmessage":
            return None
        if self.left == 0 and self.rng.random() < 0.04:
            self.kind = self.rng.choice(_KINDS)
            # A timeout costs the sender 5 s a message: shorter stretches of those.
            self.left = self.rng.randint(1, 2 if self.kind.startswith("timeout") else 4)
            self.fault = _fault(self.kind, self.rng)
        if self.left and self.fault is not None:
            self.left -= 1
            self.injected[self.kind] += 1
            return self.fault
        return None


def _fault(kind: str, rng: random.Random) -> Fault:
    accepted = kind.endswith("accepted")
    if kind.startswith("timeout"):
        return HoldAnswer(_HOLD_SECONDS, accepted=accepted)
    if kind.startswith("drop"):
        return DropConnection(accepted=accepted)
    if kind == "429":
        return ApiError(429, retry_after=rng.randint(1, 2))
    return ApiError(int(kind), "Bad Gateway" if kind == "502" else "Internal")


class _Restarts:
    """PostgreSQL restarted at random points of the sending: after a random number of
    messages accepted, in turn fast and immediate, down for a random while each time."""

    def __init__(self, pg: PrivatePostgres, rng: random.Random, at: list[int]) -> None:
        self.pg = pg
        self.rng = rng
        self.at = sorted(at)
        self.done: Counter[str] = Counter()
        self.down: list[float] = []

    async def run(self, emu: BotApiEmulator) -> None:
        for n, mark in enumerate(self.at):
            reached = partial(_reached, emu, mark)
            await emu.wait_for(reached, timeout=3600)
            mode = ("fast", "immediate")[n % 2]
            self.down.append(await self.pg.restart(mode, down=self.rng.uniform(0.2, 3.0)))
            self.done[mode] += 1


def _reached(emu: BotApiEmulator, mark: int) -> bool:
    return _accepted(emu.requests) >= mark


def _accepted(requests: list[ApiCall]) -> int:
    return sum(r.ok for r in requests if r.method == "sendMessage")


async def _one_run(
    args: argparse.Namespace, run: int, totals: Counter[str], pg: PrivatePostgres | None
) -> None:
    rng = random.Random(args.seed * 1000 + run)
    url, drop = await _make_url(args.db, pg.root if pg is not None else args.pg_root)
    try:
        db = await open_database(url)
        try:
            await _fill(db, args.wards, args.beds)
            expected = args.wards * args.beds
            messages = args.wards * -(-args.beds // TASKS_PER_MESSAGE)
            faults = _Faults(rng)
            async with BotApiEmulator(token=TOKEN, enforce_limits=True) as emu:
                for w in range(args.wards):
                    emu.add_group(_group_id(w), f"第{w + 1}病区")
                emu.set_fault(faults)
                runtime = _BenchRuntime(db.uow, ManualClock(DUE))
                kill_after = rng.randint(1, max(1, expected // args.beds // 2))
                kills = 0
                # The first instance is a process of its own, killed with SIGKILL after a
                # random number of accepted messages: nothing of it gets to clean up.
                child = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--child",
                    url,
                    emu.api_root,
                    f"run{run}-a",
                    env={**os.environ, "PYTHONPATH": _ROOT},
                )
                while child.returncode is None:
                    await asyncio.sleep(0.005)
                    if _accepted(emu.requests) >= kill_after:
                        child.kill()
                        kills += 1
                        break
                await child.wait()
                by_killed = _accepted(emu.requests)
                killed_calls = len(emu.requests)
                restarts = None
                restarting: asyncio.Task[None] | None = None
                if pg is not None and args.pg_restarts:
                    # Random points of the rest of the slot, by messages accepted meanwhile.
                    room = max(2, messages - by_killed)
                    marks = [
                        by_killed + rng.randint(1, max(1, room * 3 // 4))
                        for _ in range(args.pg_restarts)
                    ]
                    restarts = _Restarts(pg, rng, marks)
                    restarting = asyncio.create_task(restarts.run(emu))
                async with _bot(emu, PriorityRateLimiter(max_retries=5)) as bot:
                    # The clock: a suspend (forward past the late mark) or an NTP step back.
                    jump = rng.choice(("forward", "back", "none"))
                    totals[f"clock {jump}"] += 1
                    if jump == "forward":
                        runtime.clock.advance(timedelta(minutes=40))
                    elif jump == "back":
                        runtime.clock.advance(-timedelta(minutes=5))
                    second = Dispatcher(cast(Runtime, runtime), owner=f"run{run}-b")
                    for _ in range(args.ticks):
                        runtime.clock.advance(_TICK)
                        # As dispatch_tick does: a failed tick is logged, the next one tries.
                        try:
                            await second.run_once(bot)
                        except Exception as exc:
                            totals["ticks failed"] += 1
                            totals[f"ticks failed: {type(exc).__name__}"] += 1
                            await asyncio.sleep(0.5)  # the bot's tick interval, about
                        if restarting is not None and restarting.done():
                            restarting.result()
                            restarting = None
                    if restarting is not None:
                        restarting.cancel()
                        totals["pg restarts not reached"] += len(restarts.at) if restarts else 0
                await emu.settle(idle=0.2, timeout=30)
                calls = list(emu.requests)
            counts = _count(calls, killed_calls)
            unrecorded = await _unrecorded(url)
            delivered = counts["delivered"]
            once = sum(1 for n in delivered.values() if n == 1)
            twice = sum(1 for n in delivered.values() if n > 1)
            missing = expected - len(delivered)
            totals["runs"] += 1
            totals["kills"] += kills
            totals["messages accepted from the killed one"] += by_killed
            for what in ("tasks", "messages"):
                for why in ("after a kill", "answer lost", "unexplained"):
                    key = f"{what} repeated {why}"
                    totals[key] += counts[key]
            totals["accepted, answer lost"] += counts["accepted, answer lost"]
            totals["tasks expected"] += expected
            totals["delivered once"] += once
            totals["delivered twice or more"] += twice
            totals["never delivered"] += missing
            totals["unrecorded at the end"] += unrecorded
            posts = counts["handovers"]
            totals["handovers posted"] += sum(posts.values())
            for why in ("after a kill", "answer lost", "unexplained"):
                totals[f"handovers repeated {why}"] += counts[f"handovers repeated {why}"]
            totals["wards: no handover"] += args.wards - len(posts)
            begun = counts["handovers begun"]
            totals["wards: handover without its last part"] += len(set(begun) - set(posts))
            for kind, n in faults.injected.items():
                totals[f"injected {kind}"] += n
            totals["errors answered in all"] += sum(not r.ok and r.answered for r in calls)
            if restarts is not None:
                for mode, n in restarts.done.items():
                    totals[f"pg restarts {mode}"] += n
                totals["pg seconds down"] += round(sum(restarts.down))
            print(
                f"run {run}: {expected} tasks, killed after {by_killed} accepted "
                f"(aimed at {kill_after}), faults {dict(faults.injected)}"
                + (f", pg restarts {dict(restarts.done)}" if restarts else "")
                + f"; delivered once {once}, repeated {twice} tasks in "
                f"{counts['messages repeated after a kill']} (kill) + "
                f"{counts['messages repeated answer lost']} (answer lost) + "
                f"{counts['messages repeated unexplained']} (unexplained) messages, "
                f"missing {missing}, unrecorded {unrecorded}"
            )
        finally:
            await db.dispose()
    finally:
        await drop()


def _count(calls: list[ApiCall], killed_calls: int) -> dict[str, Any]:
    """Each task's deliveries; each repeated task put down to what let it out before: the
    killed instance, or a message Telegram posted without the bot hearing back; messages
    carrying a repeat by the same cause (that of their earliest repeated task)."""
    delivered: Counter[int] = Counter()
    first: dict[int, int] = {}  # task -> index of the call that delivered it first
    counts: dict[str, Any] = Counter()
    counts["handovers"] = Counter()
    counts["handovers begun"] = Counter()
    handed: dict[Any, int] = {}  # ward group -> index of its first handover post

    def cause(index: int) -> str:
        if not calls[index].answered:
            return "answer lost"
        return "after a kill" if index < killed_calls else "unexplained"

    for index, call in enumerate(calls):
        if call.method != "sendMessage" or not call.ok:
            continue
        if not call.answered:
            counts["accepted, answer lost"] += 1
        ids = _task_ids(call.params)
        if str(call.params.get("text", "")).startswith(_HANDOVER_TITLE):
            counts["handovers begun"][call.params.get("chat_id")] += 1
        if not ids and _is_handover(call.params):
            chat = call.params.get("chat_id")
            if chat in handed:
                counts[f"handovers repeated {cause(handed[chat])}"] += 1
            handed.setdefault(chat, index)
            counts["handovers"][chat] += 1
        earlier = [first[i] for i in ids if i in first]
        if earlier:
            counts[f"messages repeated {cause(min(earlier))}"] += 1
        for i in ids:
            if i in first:
                counts[f"tasks repeated {cause(first[i])}"] += 1
            first.setdefault(i, index)
        delivered.update(ids)
    counts["delivered"] = delivered
    return counts


async def _unrecorded(url: str) -> int:
    """Tasks the database does not hold as sent once the run is over."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM task_occurrences WHERE sent_at IS NULL")
            )
    finally:
        await engine.dispose()
    return int(found or 0)


async def _child(url: str, api_root: str, owner: str) -> None:
    """The instance to be killed: one tick at 08:00 against the parent's emulator."""
    db = await open_database(url)
    async with _bot(api_root, PriorityRateLimiter(max_retries=5)) as bot:
        runtime = _BenchRuntime(db.uow, ManualClock(DUE))
        await Dispatcher(cast(Runtime, runtime), owner=owner).run_once(bot)
    await db.dispose()


async def _main(args: argparse.Namespace) -> None:
    totals: Counter[str] = Counter()
    logs = _LogCount()
    logging.basicConfig(handlers=[logs], level=logging.WARNING, force=True)
    if args.private_pg:
        async with PrivatePostgres() as pg:
            for run in range(args.runs):
                await _one_run(args, run, totals, pg)
    else:
        for run in range(args.runs):
            await _one_run(args, run, totals, None)
    where = f"{args.db}{', private server restarted' if args.private_pg else ''}"
    print(f"\nfaults over {args.runs} runs ({where}, {args.wards} wards x {args.beds} beds):")
    keys = [
        "runs",
        "kills",
        "messages accepted from the killed one",
        "clock forward",
        "clock back",
        "clock none",
        *(f"injected {kind}" for kind in _KINDS),
        "accepted, answer lost",
        "errors answered in all",
    ]
    if args.private_pg:
        keys += ["pg restarts fast", "pg restarts immediate", "pg seconds down"]
    keys += [
        "ticks failed",
        *sorted(k for k in totals if k.startswith("ticks failed:")),
        "tasks expected",
        "delivered once",
        "delivered twice or more",
        *(
            f"{what} repeated {why}"
            for what in ("tasks", "messages")
            for why in ("after a kill", "answer lost", "unexplained")
        ),
        "never delivered",
        "unrecorded at the end",
        "handovers posted",
        *(f"handovers repeated {why}" for why in ("after a kill", "answer lost", "unexplained")),
        "wards: no handover",
        "wards: handover without its last part",
    ]
    if totals["pg restarts not reached"]:
        keys.append("pg restarts not reached")
    for key in keys:
        print(f"  {key:40} {totals[key]}")
    print("what the bot logged (this process; the killed ones log to their own stderr):")
    for message, n in sorted(logs.counts.items()):
        print(f"  {n:5}  {message}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        asyncio.run(_child(*sys.argv[2:5]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--wards", type=int, default=30)
    parser.add_argument("--beds", type=int, default=40)
    parser.add_argument("--ticks", type=int, default=40, help="ticks of the second instance")
    parser.add_argument("--seed", type=int, default=1)
    add_database_arguments(parser)
    parser.add_argument(
        "--private-pg",
        action="store_true",
        help="PostgreSQL on a cluster of the bench's own, restarted mid-slot (implies --db "
        "postgresql; needs root or the postgres user)",
    )
    parser.add_argument(
        "--pg-restarts",
        type=int,
        default=None,
        help="restarts per run (fast and immediate in turn; default 2 with --private-pg)",
    )
    parser.add_argument("--quick", action="store_true", help="3 runs of 10 wards x 40 beds")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.wards = 3, 10
    if args.pg_restarts:
        args.private_pg = True
    if args.private_pg:
        args.db = "postgresql"
        args.pg_restarts = 2 if args.pg_restarts is None else args.pg_restarts
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()

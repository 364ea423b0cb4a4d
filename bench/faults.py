"""Faults during the 08:00 slot, counted: the real Dispatcher and the bot's rate limiter
against the Bot API emulator, with Telegram's limits enforced, while things go wrong.

    .venv/bin/python bench/faults.py [--runs 6 --wards 30 --beds 40 --seed 1] [--db postgresql]

Each run: a fresh database with `wards x beds` doses due at 08:00; stretches of 429
(retry_after), 500 and 502 answers on sendMessage; the dispatcher killed (SIGKILL, a process
of its own) after a random number of accepted messages, then a new
instance under another lease owner ticking on; the clock jumping forward (a suspended
machine: the rest goes out marked late) or back (NTP) between ticks. Afterwards every task
must be delivered exactly once; a kill between Telegram's acceptance and our commit may
repeat one message's tasks, and that is counted, not hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
from collections import Counter
from datetime import timedelta
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

from boards.clock import ManualClock
from bot.emulator import ApiError, BotApiEmulator
from bot.ratelimit import PriorityRateLimiter
from bot.reminders import Dispatcher
from bot.runtime import Runtime
from storage.migrate import open_database

os.environ["PTB_TIMEDELTA"] = "1"
_TICK = timedelta(seconds=15)
_ROOT = str(Path(__file__).resolve().parents[1])


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


class _Faults:
    """Stretches of error answers on sendMessage, chosen by a seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.left = 0
        self.error: ApiError | None = None
        self.injected: Counter[str] = Counter()

    def __call__(self, method: str, params: Any) -> ApiError | None:
        if method.lower() != "sendmessage":
            return None
        if self.left == 0 and self.rng.random() < 0.04:
            kind = self.rng.choice(("429", "500", "502"))
            self.left = self.rng.randint(1, 4)
            self.error = (
                ApiError(429, retry_after=self.rng.randint(1, 2))
                if kind == "429"
                else ApiError(int(kind), "Bad Gateway" if kind == "502" else "Internal")
            )
        if self.left and self.error is not None:
            self.left -= 1
            self.injected[str(self.error.error_code)] += 1
            return self.error
        return None


async def _one_run(args: argparse.Namespace, run: int, totals: Counter[str]) -> None:
    rng = random.Random(args.seed * 1000 + run)
    url, drop = await _make_url(args.db, args.pg_root)
    try:
        db = await open_database(url)
        try:
            await _fill(db, args.wards, args.beds)
            expected = args.wards * args.beds
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
                    accepted = sum(r.ok for r in emu.requests if r.method == "sendMessage")
                    if accepted >= kill_after:
                        child.kill()
                        kills += 1
                        break
                await child.wait()
                by_killed = sum(r.ok for r in emu.requests if r.method == "sendMessage")
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
                        await second.run_once(bot)
                sends = [r for r in emu.requests if r.method == "sendMessage" and r.ok]
            delivered: Counter[int] = Counter()
            repeats = 0  # messages carrying a task that had gone out already
            for call in sends:
                ids = _task_ids(call.params)
                repeats += any(delivered[i] for i in ids)
                delivered.update(ids)
            once = sum(1 for n in delivered.values() if n == 1)
            twice = sum(1 for n in delivered.values() if n > 1)
            missing = expected - len(delivered)
            totals["runs"] += 1
            totals["kills"] += kills
            totals["messages accepted from the killed one"] += by_killed
            totals["messages repeated"] += repeats
            totals["tasks expected"] += expected
            totals["delivered once"] += once
            totals["delivered twice or more"] += twice
            totals["never delivered"] += missing
            for code, n in faults.injected.items():
                totals[f"answered {code} (injected)"] += n
            totals["errors answered in all"] += sum(not r.ok for r in emu.requests)
            print(
                f"run {run}: {expected} tasks, killed after {by_killed} accepted "
                f"(aimed at {kill_after}), "
                f"faults {dict(faults.injected)}; delivered once {once}, "
                f"repeated {twice} in {repeats} messages, missing {missing}"
            )
        finally:
            await db.dispose()
    finally:
        await drop()


async def _child(url: str, api_root: str, owner: str) -> None:
    """The instance to be killed: one tick at 08:00 against the parent's emulator."""
    db = await open_database(url)
    async with _bot(api_root, PriorityRateLimiter(max_retries=5)) as bot:
        runtime = _BenchRuntime(db.uow, ManualClock(DUE))
        await Dispatcher(cast(Runtime, runtime), owner=owner).run_once(bot)
    await db.dispose()


async def _main(args: argparse.Namespace) -> None:
    totals: Counter[str] = Counter()
    for run in range(args.runs):
        await _one_run(args, run, totals)
    print(f"\nfaults over {args.runs} runs ({args.db}, {args.wards} wards x {args.beds} beds):")
    for key in (
        "runs",
        "kills",
        "messages accepted from the killed one",
        "messages repeated",
        "clock forward",
        "clock back",
        "clock none",
        "answered 429 (injected)",
        "answered 500 (injected)",
        "answered 502 (injected)",
        "errors answered in all",
        "tasks expected",
        "delivered once",
        "delivered twice or more",
        "never delivered",
    ):
        print(f"  {key:28} {totals[key]}")


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
    parser.add_argument("--quick", action="store_true", help="3 runs of 10 wards x 40 beds")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.wards = 3, 10
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()

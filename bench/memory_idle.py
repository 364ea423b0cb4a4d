"""Resident memory of the running bot, idle, as the hospital grows: 10, 50 and 200 wards of
60 beds (one dose a bed). Target: under 150 MB idle.

    .venv/bin/python bench/memory_idle.py [--wards 10 50 200] [--db postgresql]

For each size a fresh database is filled here, then a child process starts the real
Application against the Bot API emulator (in the same child: its share is counted too, so
the figure is an upper bound), lets the dispatcher and the board publisher tick for a few
seconds with the groups bound, and prints its VmRSS and VmHWM from /proc/self/status.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reminders import DUE, TOKEN, _fill, _group_id, _make_url, add_database_arguments

from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator
from storage.migrate import open_database
from storage.uow import Database

_ROOT = str(Path(__file__).resolve().parents[1])


def _status(field: str) -> float:
    """A /proc/self/status figure (kB) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _child(url: str, wards: int, idle: float) -> None:
    # 06:00: nothing due, no handover: the bot at rest with its data loaded.
    logging.disable(logging.WARNING)
    database = Database(url)
    async with BotApiEmulator(token=TOKEN, bot_username="wardboard_bench_bot") as emu:
        for w in range(wards):
            emu.add_group(_group_id(w), f"第{w + 1}病区")
        async with running_bot(
            emu, database, ManualClock(DUE - timedelta(hours=2)), dispatch_seconds=1.0
        ):
            await asyncio.sleep(idle)
            print(f"{_status('VmRSS'):.1f} {_status('VmHWM'):.1f}", flush=True)
    await database.dispose()


async def _measure(args: argparse.Namespace, wards: int) -> tuple[float, float]:
    url, drop = await _make_url(args.db, args.pg_root)
    try:
        db = await open_database(url)
        await _fill(db, wards, args.beds)
        await db.dispose()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            url,
            str(wards),
            str(args.idle),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": _ROOT, "PTB_TIMEDELTA": "1"},
        )
        out, _ = await child.communicate()
        rss, peak = (float(x) for x in out.decode().split()[-2:])
        return rss, peak
    finally:
        await drop()


async def _main(args: argparse.Namespace) -> None:
    print(f"idle resident memory ({args.db}, {args.beds} beds a ward, emulator in the process):")
    for wards in args.wards:
        rss, peak = await _measure(args, wards)
        verdict = "met" if rss < 150 else "MISSED"
        print(f"  {wards:4} wards: RSS {rss:6.1f} MB (peak {peak:6.1f} MB)  < 150 MB: {verdict}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        asyncio.run(_child(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wards", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--beds", type=int, default=60)
    parser.add_argument("--idle", type=float, default=8.0, help="seconds idle before reading")
    add_database_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="10 and 50 wards")
    args = parser.parse_args()
    if args.quick:
        args.wards = [10, 50]
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()

"""HL7 v2 ADT throughput: messages acknowledged per second by the running bot's MLLP
listener, and the p95 from message to ACK, on SQLite and on PostgreSQL.

    .venv/bin/python bench/hl7_throughput.py                    # 600 messages per run
    .venv/bin/python bench/hl7_throughput.py --messages 2000 --backend postgresql

The real bot polls the Bot API emulator with the listener on 127.0.0.1; four wards, each
mapped to its HIS code with /hiscode and bound to its group (so every event also schedules
a board refresh, with the bot's own board delays). python-hl7's MLLPClient sends, each
connection in a process of its own (so the senders do not share the bot's interpreter):
admit (A01), update (A08), discharge (A03), in turn, each waiting for its ACK. Runs with
one connection and with one connection per ward. The target is 200 messages a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from hl7.client import MLLPClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from boards.clock import ManualClock
from bot.demo import running_bot
from bot.emulator import BotApiEmulator
from bot.hl7.feed import HisFeed
from bot.runtime import RUNTIME_KEY, Runtime
from storage.migrate import open_database

os.environ["PTB_TIMEDELTA"] = "1"

TOKEN = "123456789:BENCH-hl7-token"
POSTGRES = os.environ.get(
    "WARDBOARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
WARDS = 4
BEDS = 40


def message(trigger: str, control: str, unit: str, mrn: str, bed: int) -> str:
    pv1 = ["PV1", "1", "I", f"{unit}^^{bed}^HOSP"] + [""] * 15 + [f"V{mrn}"]
    return (
        "\r".join(
            [
                f"MSH|^~\\&|HIS|HOSP|WARDBOARD|WARD|20261123080000||ADT^{trigger}^ADT_A01|{control}"
                "|P|2.5||||||UNICODE UTF-8",
                f"EVN|{trigger}|20261123080000",
                f"PID|1||{mrn}^^^HOSP^MR||张^三{bed}||19800101|M",
                "|".join(pv1),
                "DG1|1||K35^急性阑尾炎",
            ]
        )
        + "\r"
    )


def plan(ward: int, count: int, run: str) -> list[str]:
    """admit, update, discharge, over and over in one ward's beds."""
    unit = f"U{ward}"
    out: list[str] = []
    for i in range(count):
        patient, step = divmod(i, 3)
        trigger = ("A01", "A08", "A03")[step]
        mrn = f"{run}{ward}-{patient}"
        out.append(message(trigger, f"{run}-{ward}-{i}", unit, mrn, patient % BEDS + 1))
    return out


def send(port: int, messages: list[str]) -> tuple[list[float], int]:
    """Latencies (s) of each message to its ACK over one connection; the number not AA."""
    latencies: list[float] = []
    refused = 0
    with MLLPClient("127.0.0.1", port) as client:
        for m in messages:
            start = time.perf_counter()
            ack = client.send_message(m)
            latencies.append(time.perf_counter() - start)
            if b"MSA|AA|" not in ack:
                refused += 1
    return latencies, refused


async def _admin(sql: str) -> None:
    engine = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def bench(url: str, label: str, total: int) -> list[str]:
    database = await open_database(url)
    clock = ManualClock(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    lines = []
    try:
        async with BotApiEmulator(token=TOKEN, bot_username="wardboard_bench_bot") as emu:
            head = emu.add_user(501, "王芳", language_code="zh-hans")
            for w in range(WARDS):
                emu.add_group(-1009001 - w, f"病区群{w}", members=[head])
            async with running_bot(
                emu, database, clock, dispatch_seconds=3600.0, hl7_listen="127.0.0.1:0",
            ) as app:  # fmt: skip
                for w in range(WARDS):
                    await head.say(f"/newward 病区{w} {BEDS}")
                    await head.say(f"/hiscode U{w}")
                    await head.say(f"/bind 病区{w}", chat=emu.chat(-1009001 - w))
                runtime = app.bot_data[RUNTIME_KEY]
                assert isinstance(runtime, Runtime)
                feed = runtime.extras["hl7"]
                assert isinstance(feed, HisFeed) and feed.port is not None
                for connections in (1, WARDS):
                    run = f"R{connections}"
                    per = total // connections
                    jobs = [plan(w, per, run) for w in range(connections)]
                    loop = asyncio.get_running_loop()
                    with ProcessPoolExecutor(connections) as pool:
                        # Warm the senders' processes up before the clock starts.
                        await asyncio.gather(
                            *(loop.run_in_executor(pool, time.sleep, 0.2) for _ in jobs)
                        )
                        start = time.perf_counter()
                        results = await asyncio.gather(
                            *(loop.run_in_executor(pool, send, feed.port, job) for job in jobs)
                        )
                        elapsed = time.perf_counter() - start
                    latencies = sorted(x for lat, _ in results for x in lat)
                    refused = sum(r for _, r in results)
                    p95 = latencies[int(0.95 * (len(latencies) - 1))]
                    lines.append(
                        f"{label:<10} {connections} conn  {len(latencies):5d} msgs  "
                        f"{len(latencies) / elapsed:7.1f} msg/s  "
                        f"p50 {statistics.median(latencies) * 1000:6.1f} ms  "
                        f"p95 {p95 * 1000:6.1f} ms  not AA {refused}"
                    )
                    print(lines[-1], flush=True)
                await runtime.publisher.flush()
    finally:
        await database.dispose()
    return lines


async def main(total: int, backends: list[str]) -> None:
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                await bench(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "SQLite", total)
        else:
            name = f"wardboard_bench_{secrets.token_hex(4)}"
            await _admin(f'CREATE DATABASE "{name}"')
            try:
                url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
                await bench(url, "PostgreSQL", total)
            finally:
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    chosen = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    asyncio.run(main(args.messages, chosen))

"""How long a 60-row census import takes: read the file, validate and plan, apply, commit.

    PYTHONPATH=. .venv/bin/python bench/census_import.py                 # SQLite, GBK CSV
    PYTHONPATH=. .venv/bin/python bench/census_import.py --postgres      # PostgreSQL too
    PYTHONPATH=. .venv/bin/python bench/census_import.py --xlsx --runs 5

Each run starts from a ward of 40 patients (30 listed again in the file, all with a nursing
level the ward had not recorded and 10 also with another age; 10 not listed) and imports 60
rows: 30 known (30 updates), 30 new admissions in beds 41-70 of a ward of 80 beds. It
prints the median and worst of the runs for validate (read the file, check every cell, plan
against the ward) and apply (the 60 changes, each audited, then the commit).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from boards import census, services
from boards.access import Actor
from boards.clock import ManualClock
from boards.hospital import Hospital
from boards.model import Age, Sex
from storage.migrate import open_database

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ACTOR = Actor(1, "护士长")
HEADER = ["床号", "姓名", "性别", "年龄", "住院号", "诊断", "护理级别", "入院时间"]


def _file(*, xlsx: bool) -> tuple[bytes, str]:
    rows = [HEADER]
    for bed in range(1, 31):
        age = "50" if bed > 10 else "51"  # beds 1-10: a changed age
        rows.append([str(bed), f"患者{bed}", "男", age, f"ZY{bed:05d}", "肺炎", "二级", ""])
    for bed in range(41, 71):
        rows.append(
            [
                str(bed),
                f"新患者{bed}",
                "女",
                "40",
                f"ZY{bed:05d}",
                "胆囊炎",
                "一级",
                "2026-11-23 08:00",
            ]
        )
    if xlsx:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), "census.xlsx"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("gbk"), "census.csv"


async def _run(url: str, data: bytes, name: str) -> tuple[float, float, int, int]:
    database = await open_database(url)
    clock = ManualClock(NOW)
    try:
        async with database.uow() as uow:
            ward = await services.create_ward(
                uow,
                clock,
                actor=ACTOR,
                hospital=Hospital(frozenset()),
                name="普外科一病区",
                timezone="Asia/Shanghai",
                locale="zh_CN",
                bed_count=80,
            )
            for bed in range(1, 41):
                await services.admit(
                    uow,
                    clock,
                    actor=ACTOR,
                    ward=ward,
                    bed=str(bed),
                    name=f"患者{bed}",
                    sex=Sex.MALE,
                    age=Age(50),
                    diagnosis="肺炎",
                    admission_no=f"ZY{bed:05d}",
                )
            await uow.commit()
        start = time.perf_counter()
        async with database.uow() as uow:
            table = census.read_rows(
                census.read_table(data, name),
                tz=ZoneInfo("Asia/Shanghai"),
                now=clock.now(),
                bed_count=ward.bed_count,
            )
            plan = await census.plan_census(uow, ward=ward, table=table)
            validated = time.perf_counter()
            assert plan.ok and len(plan.admit) == 30 and len(plan.missing) == 10, plan.errors
            await census.apply_census(uow, clock, actor=ACTOR, ward=ward, plan=plan)
            await uow.commit()
        applied = time.perf_counter()
        return validated - start, applied - validated, len(plan.admit), len(plan.update)
    finally:
        await database.dispose()


async def _postgres_url() -> str:
    import asyncpg

    name = f"wardboard_bench_{int(time.time())}"
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _drop(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--xlsx", action="store_true", help="an XLSX file instead of a GBK CSV")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    data, name = _file(xlsx=args.xlsx)
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    for backend in backends:
        timings = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                if backend == "sqlite":
                    url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
                    timings.append(await _run(url, data, name))
                else:
                    url = await _postgres_url()
                    try:
                        timings.append(await _run(url, data, name))
                    finally:
                        await _drop(url)
        validate = [t[0] * 1000 for t in timings]
        apply = [t[1] * 1000 for t in timings]
        total = [v + a for v, a in zip(validate, apply, strict=True)]
        admitted, updated = timings[0][2], timings[0][3]
        print(
            f"{backend:10s} {name}: 60 rows, {admitted} admitted + {updated} updated, "
            f"{args.runs} runs | validate median {statistics.median(validate):.0f} ms "
            f"(max {max(validate):.0f}) | apply median {statistics.median(apply):.0f} ms "
            f"(max {max(apply):.0f}) | total median {statistics.median(total):.0f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())

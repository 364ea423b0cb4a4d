"""Benchmark of the shift handover for a 60-bed ward: load the report, render both copies.

A full ward on SQLite (file, WAL), each bed with its day of doses (done on time, late, not
given, still open), a tag, a line (some past their limit), and a few operations and exams;
the 16:00 handover of the day shift, as the dispatcher tick and /handover build it.

    .venv/bin/python bench/handover.py [--beds 60] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from boards import handover
from boards.board import plain_length
from boards.clock import ManualClock
from boards.i18n import texts
from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    PatientLine,
    PatientTag,
    Sex,
    Stay,
    Surgery,
    SurgeryState,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Ward,
)
from boards.schedule import default_ward_policy
from storage.migrate import open_database
from storage.uow import Database

TZ = "Asia/Shanghai"
START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the day shift
END = START + timedelta(hours=8)
NOW = END + timedelta(seconds=30)
_DRUGS = ("头孢曲松钠 2g ivgtt", "奥美拉唑 40mg iv", "氨溴索 30mg iv", "胰岛素 6U ih")
_LEVELS = (NursingLevel.SPECIAL, NursingLevel.ONE, NursingLevel.TWO, NursingLevel.THREE)


def _task(ward: Ward, stay: Stay, n: int, due: datetime) -> TaskOccurrence:
    # A quarter of each kind: on time, late, not given, still open (then the next shift's).
    status, done_at, reason = TaskStatus.PENDING, None, None
    if due < END:
        kind = n % 4
        if kind == 0:
            status, done_at = TaskStatus.DONE, due + timedelta(minutes=5)
        elif kind == 1:
            status, done_at = TaskStatus.DONE, due + timedelta(minutes=50)
        elif kind == 2:
            status, done_at, reason = TaskStatus.SKIPPED, due, "患者拒绝"
    return TaskOccurrence(
        id=0,
        ward_id=ward.id,
        stay_id=stay.id,
        kind=TaskKind.MED,
        source_id=stay.id * 10 + n,
        rule_code="",
        planned_at=due,
        due_at=due,
        remind_at=due,
        text=_DRUGS[n % len(_DRUGS)],
        created_at=START - timedelta(days=1),
        status=status,
        done_at=done_at,
        done_by=502 if done_at else None,
        skip_reason=reason,
    )


async def _fill(db: Database, beds: int) -> Ward:
    created = START - timedelta(days=3)
    async with db.uow() as uow:
        ward = await uow.wards.add(
            name="普外科一病区", timezone=TZ, locale="zh_CN", created_at=created, bed_count=beds
        )
        ward = await uow.wards.update(dataclasses.replace(ward, group_chat_id=-1001))
        tasks = []
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
                    level=_LEVELS[bed % 4],
                    admitted_at=created if bed % 10 else START + timedelta(hours=3),
                    token=secrets.token_urlsafe(16),
                    critical=Critical.CRITICAL if bed % 15 == 0 else None,
                )
            )
            for n, hour in enumerate((1, 4, 6, 7, 9, 12)):
                tasks.append(_task(ward, stay, n + bed, START + timedelta(hours=hour)))
            await uow.tags.add(
                PatientTag(0, stay.id, "allergy", "青霉素", START + timedelta(hours=2), 502)
            )
            inserted = created - timedelta(days=3 if bed % 3 else 0)
            await uow.lines.add(PatientLine(0, stay.id, "piv", "左前臂", inserted, None, 502))
            if bed % 6 == 0:
                await uow.surgeries.add(
                    Surgery(
                        0,
                        stay.id,
                        END + timedelta(hours=17),
                        "腹腔镜胆囊切除术",
                        SurgeryState.SCHEDULED,
                        START,
                    )
                )
            if bed % 7 == 0:
                await uow.items.add(
                    BoardItem(0, stay.id, ItemKind.EXAM, END + timedelta(hours=2), "上腹部CT", 502)
                )
        await uow.tasks.add_missing(tasks)
        await uow.commit()
    return ward


async def main(beds: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await open_database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            ward = await _fill(db, beds)
            clock = ManualClock(NOW)
            span = handover.last_span(default_ward_policy(), ward, NOW)
            zh = texts("zh_CN", TZ)
            load, render = [], []
            messages: list[str] = []
            report = None
            for _ in range(runs):
                began = time.perf_counter()
                async with db.uow() as uow:
                    report = await handover.handover_report(
                        uow, clock, ward=ward, span=span, locale="zh_CN"
                    )
                loaded = time.perf_counter()
                messages = handover.render_report(report, zh, private=False)
                handover.render_report(report, zh, private=True)
                load.append(loaded - began)
                render.append(time.perf_counter() - loaded)
            assert report is not None
        finally:
            await db.dispose()
    total = [a + b for a, b in zip(load, render, strict=True)]
    print(f"handover report, {beds}-bed ward, day shift, SQLite, {runs} runs")
    print(f"  focus patients {len(report.focus)}, task figures {report.figures}")
    print(
        f"  group copy: {len(messages)} messages, longest {max(map(plain_length, messages))} "
        "characters (limit 4096)"
    )
    print(f"  load (one unit of work):  median {statistics.median(load) * 1000:.1f} ms")
    print(f"  render (group + private): median {statistics.median(render) * 1000:.1f} ms")
    print(
        f"  total:                    median {statistics.median(total) * 1000:.1f} ms, "
        f"max {max(total) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(main(options.beds, options.runs))

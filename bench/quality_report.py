"""Benchmark of the quality report: a 60-bed ward with a year of data, on SQLite (or --url).

    PYTHONPATH=. .venv/bin/python bench/quality_report.py            # target: under 2 s
    PYTHONPATH=. .venv/bin/python bench/quality_report.py --url postgresql+asyncpg://...

Every bed is always occupied (stays of 3 to 9 days), half the patients have a peripheral
cannula and a fifth a urinary catheter; each patient has three doses a day (done, a few late,
skipped, snoozed or escalated, by 20 nurses) and the ward records about four events a month.
Timed: the monthly report (three months of figures), its PNG and CSV, and the comparison of
two half-years.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from boards.access import Actor
from boards.clock import ManualClock
from boards.i18n import texts
from boards.model import Member, MemberStatus, Role
from boards.quality import compare_periods, month_period, monthly_report, report_csv
from boards.quality.charts import report_png
from storage.migrate import open_database
from storage.models import AdverseEventRow, PatientLineRow, StayRow, TaskOccurrenceRow

BEDS = 60
START = datetime(2025, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
HEAD = 900
TYPES = ("fall", "bed_fall", "pressure_injury", "medication_error", "extravasation", "other")


def _data(
    ward_id: int, rng: random.Random
) -> tuple[list[dict], list[dict], list[dict], list[dict]]:  # type: ignore[type-arg]
    stays, lines, events, tasks = [], [], [], []
    stay_id = line_id = 0
    for bed in range(1, BEDS + 1):
        at = START - timedelta(days=rng.uniform(0, 5))
        while at < NOW:
            stay_id += 1
            end = at + timedelta(days=rng.uniform(3, 9))
            ended = end if end < NOW else None
            stays.append(
                dict(
                    id=stay_id,
                    ward_id=ward_id,
                    bed=str(bed),
                    name=f"患者{stay_id}",
                    sex="F",
                    age="60",
                    diagnosis=None,
                    level=None,
                    admitted_at=at,
                    token=f"tok{stay_id}",
                    status="discharged" if ended else "active",
                    ended_at=ended,
                    critical=None,
                    transferred_from=None,
                    transferred_to=None,
                )
            )
            for code, share in (("piv", 0.5), ("urinary", 0.2)):
                if rng.random() < share:
                    line_id += 1
                    lines.append(
                        dict(
                            id=line_id,
                            stay_id=stay_id,
                            code=code,
                            site=None,
                            inserted_at=at + timedelta(hours=1),
                            purpose=None,
                            added_by=HEAD,
                            removed_at=ended,
                            removed_by=HEAD if ended else None,
                        )
                    )
            day = at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            while day < (ended or NOW):
                for hour in (0, 8, 16):  # 08:00, 16:00, 24:00 in Shanghai
                    planned = day + timedelta(hours=hour)
                    roll = rng.random()
                    late = timedelta(minutes=rng.choice((5, 10, 20, 45)))
                    status = "skipped" if roll < 0.03 else "done"
                    reason = rng.choice(("患者拒绝", "外出检查", "禁食"))
                    snooze = timedelta(minutes=30) if roll > 0.95 else timedelta()
                    escalated = planned + timedelta(minutes=30) if late.seconds > 1800 else None
                    tasks.append(
                        dict(
                            ward_id=ward_id,
                            stay_id=stay_id,
                            kind="med",
                            source_id=stay_id * 10 + hour // 8,
                            rule_code="",
                            planned_at=planned,
                            due_at=planned + snooze,
                            remind_at=planned,
                            text="dose",
                            created_at=planned,
                            status=status,
                            done_at=planned + late,
                            done_by=rng.randrange(1, 21),
                            skip_reason=reason if status == "skipped" else None,
                            cancelled_at=None,
                            sent_at=planned,
                            message_chat_id=None,
                            message_id=None,
                            escalated_at=escalated,
                            lease_owner=None,
                            lease_until=None,
                            late=False,
                        )
                    )
                day += timedelta(days=1)
            at = end + timedelta(hours=rng.uniform(1, 12))
    for n in range(48):
        stay = rng.choice(stays)
        when = stay["admitted_at"] + timedelta(hours=rng.uniform(2, 60))
        events.append(
            dict(
                id=n + 1,
                ward_id=ward_id,
                stay_id=stay["id"],
                bed=stay["bed"],
                type=rng.choice(TYPES),
                line_id=None,
                severity="minor",
                details=None,
                occurred_at=when,
                reported_by=HEAD,
                reported_at=when,
                status="active",
            )
        )
    return stays, lines, events, tasks


async def _bench(url: str, png_path: Path | None) -> None:
    database = await open_database(url)
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await uow.wards.add(
            name="普外科一病区",
            timezone="Asia/Shanghai",
            locale="zh_CN",
            created_at=START - timedelta(days=30),
            bed_count=BEDS,
        )
        await uow.members.put(
            Member(ward.id, HEAD, "王芳", Role.HEAD, MemberStatus.APPROVED, START)
        )
        stays, lines, events, tasks = _data(ward.id, random.Random(12))
        session = uow._session  # type: ignore[attr-defined]
        for row, values in (
            (StayRow, stays),
            (PatientLineRow, lines),
            (AdverseEventRow, events),
            (TaskOccurrenceRow, tasks),
        ):
            for i in range(0, len(values), 5000):
                await session.execute(insert(row), values[i : i + 5000])
        await uow.commit()
    print(
        f"{BEDS} beds: {len(stays)} stays, {len(lines)} lines, {len(tasks)} tasks, "
        f"{len(events)} events over a year"
    )
    t = texts("zh_CN")
    names = {"day": "白班", "evening": "小夜班", "night": "大夜班"}
    report_png((await _report(database, clock, ward))[0], t, names)  # warm the font cache
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        report, _ = await _report(database, clock, ward)
        figured = time.perf_counter()
        png = report_png(report, t, names)
        csv = report_csv(report, t)
        timings.append((figured - began, time.perf_counter() - figured, len(png), len(csv)))
    if png_path is not None:
        await asyncio.to_thread(png_path.write_bytes, report_png(report, t, names))
    best = min(timings)
    figures, drawing, png_size, csv_size = best
    print(
        f"monthly report 2026-11: figures {figures:.2f} s, PNG + CSV {drawing:.2f} s, "
        f"total {figures + drawing:.2f} s (PNG {png_size // 1024} KB, CSV {csv_size} B)"
    )
    m = report.month
    on_time, per = m.tasks.on_time_share or 0.0, m.alerts.per_nurse_shift or 0.0
    print(
        f"  patient days {m.patient_days}, line days {m.total_line_days}, "
        f"on time {on_time:.1%}, alerts/nurse-shift {per:.1f}"
    )
    began = time.perf_counter()
    async with database.uow() as uow:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(ward.timezone)
        compared = await compare_periods(
            uow,
            clock,
            actor=Actor(HEAD, "王芳"),
            ward=ward,
            first=month_period(2025, 12, tz, months=6),
            second=month_period(2026, 6, tz, months=6),
        )
    test = compared.test
    print(
        f"two half-years compared: {time.perf_counter() - began:.2f} s "
        f"({test.events_a}/{test.total_a} vs {test.events_b}/{test.total_b}, "
        f"{test.test.value} p={test.p:.3f})"
    )
    await database.dispose()


async def _report(database, clock, ward):  # type: ignore[no-untyped-def]
    async with database.uow() as uow:
        report = await monthly_report(uow, clock, actor=None, ward=ward, year=2026, month=11)
    return report, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database URL (default: a fresh SQLite file)")
    parser.add_argument("--png", type=Path, help="also write the month's chart here")
    args = parser.parse_args()
    if args.url:
        asyncio.run(_bench(args.url, args.png))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_bench(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args.png))


if __name__ == "__main__":
    os.environ.setdefault("WARDBOARD_STRICT_TEXTS", "1")
    main()

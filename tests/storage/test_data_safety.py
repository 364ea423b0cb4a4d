"""Data safety: backups that restore what was there, retention that forgets whom, not how many."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from boards import retention, services
from boards.access import Actor
from boards.bedside import add_line, tag_patient
from boards.clock import ManualClock
from boards.model import ANONYMISED, Age, ItemKind, Sex, StayStatus
from boards.retention import purge_ward
from boards.tasks import add_reminder, parse_remind_args
from bot.cli import main
from bot.purge import apply_daily
from storage.backup import BackupError, backup, counts, restore
from storage.uow import Database
from tests.storage.factories import NOW, create_ward

HEAD = Actor(501, "王芳")


async def _admit(
    db: Database,
    clock: ManualClock,
    bed: str,
    name: str,
    diagnosis: str,
    number: str | None = None,
) -> None:
    async with db.uow() as uow:
        ward = await uow.wards.by_name("普外科一病区")
        assert ward is not None
        await services.admit(
            uow,
            clock,
            actor=HEAD,
            ward=ward,
            bed=bed,
            name=name,
            sex=Sex.MALE,
            age=Age(45),
            diagnosis=diagnosis,
            admission_no=number,
        )
        await uow.commit()


async def _names(db: Database) -> list[str]:
    async with db.uow() as uow:
        ward = await uow.wards.by_name("普外科一病区")
        assert ward is not None
        return sorted(s.name for s in await uow.stays.active(ward.id))


async def test_a_backup_restores_the_wards_as_they_were(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.commit()
    await _admit(database, clock, "12", "张三", "急性阑尾炎")
    target = tmp_path / "wardboard.backup"
    # Taken while the bot's own connection pool is open (SQLite: the online backup API).
    backup(database_url, target)
    assert target.exists() and target.stat().st_size > 0
    with pytest.raises(BackupError, match="exists"):
        backup(database_url, target)  # never overwrites an earlier backup
    await _admit(database, clock, "14", "李四", "肺炎")
    assert await _names(database) == ["张三", "李四"]
    await database.dispose()
    restore(database_url, target)
    assert await _names(database) == ["张三"]
    assert await counts(database_url) == {"wards": 1, "members": 1, "stays": 1, "audit_log": 2}


def test_the_cli_backs_up_and_restores_only_when_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.db'}"
    monkeypatch.setenv("WARDBOARD_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    assert main(["backup", str(tmp_path / "b.db")]) == 0
    assert "backup written to" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.db")]) == 2
    assert "--yes" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.db"), "--yes"]) == 0
    assert "database restored from" in capsys.readouterr().out
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(tmp_path / "junk.db"), "--yes"]) == 1
    assert "not a WardBoard SQLite backup" in capsys.readouterr().out


async def test_retention_anonymises_stays_ended_long_ago_and_keeps_the_counts(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.commit()
    await _admit(database, clock, "12", "张三", "急性阑尾炎", "ZY2026001")
    await _admit(database, clock, "14", "李四", "肺炎")
    async with database.uow() as uow:
        await services.add_item(
            uow,
            clock,
            actor=HEAD,
            ward=ward,
            bed="12",
            kind=ItemKind.NOTE,
            text="张三家属电话 139",
        )
        await tag_patient(
            uow, clock, actor=HEAD, ward=ward, bed="12", word="过敏", detail="青霉素"
        )
        await add_line(uow, clock, actor=HEAD, ward=ward, bed="12", word="PICC", site="右上臂")
        await add_reminder(
            uow,
            clock,
            actor=HEAD,
            ward=ward,
            bed="12",
            args=parse_remind_args(
                ["30分钟后", "问张三家属"], now=clock.now(), tz=ZoneInfo(ward.timezone)
            ),
        )
        await services.discharge(uow, clock, actor=HEAD, ward=ward, bed="12")
        await uow.commit()

    clock.advance(timedelta(days=89))
    async with database.uow() as uow:
        assert (await purge_ward(uow, clock, ward=ward, dry_run=False)).stays == 0
    clock.advance(timedelta(days=2))  # 91 days after the discharge: past the default 90
    async with database.uow() as uow:
        assert (await purge_ward(uow, clock, ward=ward, dry_run=True)).stays == 1
        await uow.commit()
    async with database.uow() as uow:
        (gone,) = await uow.stays.ended_since(ward.id, NOW - timedelta(days=1))
        assert gone.name == "张三"  # a dry run changed nothing
        done = await purge_ward(uow, clock, ward=ward, dry_run=False)
        await uow.commit()
    assert done.stays == 1
    async with database.uow() as uow:
        (ended,) = await uow.stays.ended_since(ward.id, NOW - timedelta(days=1))
        stays = {s.bed: s for s in [ended, *await uow.stays.active(ward.id)]}
        assert ended.status is StayStatus.DISCHARGED
        assert (stays["12"].name, stays["12"].diagnosis) == (ANONYMISED, None)
        assert stays["12"].admission_no is None
        assert (stays["12"].sex, stays["12"].age) == (Sex.MALE, Age(45))  # counts still count
        assert (stays["14"].name, stays["14"].diagnosis) == ("李四", "肺炎")  # still here
        (note,) = await uow.items.of_stays_between(
            [stays["12"].id], NOW - timedelta(days=1), clock.now()
        )
        assert note.text == ANONYMISED
        (tag,) = await uow.tags.present([stays["12"].id])
        assert (tag.code, tag.detail) == ("allergy", ANONYMISED)
        (line,) = await uow.lines.of_stays([stays["12"].id])
        assert (line.code, line.site) == ("picc", None)
        audit = await uow.audit.of_ward(ward.id, limit=100)
        written = repr([(e.target, e.before, e.after) for e in audit])
        for secret in ("张三", "急性阑尾炎", "青霉素", "右上臂", "139", "ZY2026001"):
            assert secret not in written, secret
        assert "李四" in written
        assert audit[0].action == "retention:anonymise"  # newest first
        assert audit[0].actor_id == 0
        # Run again: nothing left to do, nothing audited.
        assert (await purge_ward(uow, clock, ward=ward, dry_run=False)).stays == 0


async def _discharged(db: Database, clock: ManualClock, beds: list[str]) -> None:
    for bed in beds:
        await _admit(db, clock, bed, f"病人{bed}", "肺炎")
    async with db.uow() as uow:
        ward = await uow.wards.by_name("普外科一病区")
        assert ward is not None
        for bed in beds:
            await services.discharge(uow, clock, actor=HEAD, ward=ward, bed=bed)
        await uow.commit()


async def _retention_audits(db: Database) -> list[int]:
    async with db.uow() as uow:
        ward = await uow.wards.by_name("普外科一病区")
        assert ward is not None
        audit = await uow.audit.of_ward(ward.id, limit=100)
    return [e.after["stays"] for e in reversed(audit) if e.action == "retention:anonymise"]


async def test_daily_retention_is_applied_once_a_ward_day_by_one_of_two_instances(
    database: Database, database_url: str
) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.commit()
    await _discharged(database, clock, ["1", "2", "3"])
    clock.advance(timedelta(days=91))
    day = clock.now().astimezone(ZoneInfo(ward.timezone)).date()
    # Two instances (two connection pools) at the same moment: one applies the day.
    other = Database(database_url)
    try:
        first, second = await asyncio.gather(
            apply_daily(database.uow, clock, ward=ward, day=day),
            apply_daily(other.uow, clock, ward=ward, day=day),
        )
    finally:
        await other.dispose()
    done = [p for p in (first, second) if p is not None]
    assert [p.stays for p in done] == [3]
    assert await _retention_audits(database) == [3]
    # Later that day, and a day before (the clock set back): nothing more to do.
    assert await apply_daily(database.uow, clock, ward=ward, day=day) is None
    assert await apply_daily(database.uow, clock, ward=ward, day=day - timedelta(days=1)) is None
    # The next day is claimed even with nothing to anonymise, and audits nothing.
    nothing = await apply_daily(database.uow, clock, ward=ward, day=day + timedelta(days=1))
    assert nothing is not None and nothing.stays == 0
    assert await _retention_audits(database) == [3]


async def test_daily_retention_takes_a_long_past_in_batches(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=40)
        await uow.commit()
    await _discharged(database, clock, ["1", "2", "3", "4", "5"])
    clock.advance(timedelta(days=365))
    monkeypatch.setattr(retention, "BATCH", 2)
    day = clock.now().astimezone(ZoneInfo(ward.timezone)).date()
    done = await apply_daily(database.uow, clock, ward=ward, day=day)
    assert done is not None and done.stays == 5
    assert await _retention_audits(database) == [2, 2, 1]  # one transaction each
    async with database.uow() as uow:
        ended = await uow.stays.ended_since(ward.id, NOW - timedelta(days=1))
    assert {s.name for s in ended} == {ANONYMISED}

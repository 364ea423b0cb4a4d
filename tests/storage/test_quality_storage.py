"""The quality repositories on both backends: events, their last times, task facts, checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from boards.clock import ManualClock
from boards.model import TaskKind, TaskOccurrence, TaskStatus
from boards.quality_model import (
    AdverseEvent,
    EventStatus,
    EventType,
    QcProblem,
    QualityCheck,
    QualitySettings,
    Severity,
)
from storage.uow import Database
from tests.storage.factories import NOW, add_ward, stay


def _event(ward_id: int, stay_id: int, kind: EventType, at: datetime) -> AdverseEvent:
    return AdverseEvent(
        id=0,
        ward_id=ward_id,
        stay_id=stay_id,
        bed="12",
        type=kind,
        severity=Severity.MINOR,
        details="如厕时滑倒",
        occurred_at=at,
        reported_by=7,
        reported_at=at,
    )


async def test_events_round_trip_and_the_last_of_each_type(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        s = await uow.stays.add(stay(ward.id, "12"))
        early = await uow.events.add(_event(ward.id, s.id, EventType.FALL, NOW))
        later = await uow.events.add(
            _event(ward.id, s.id, EventType.FALL, NOW + timedelta(days=3))
        )
        await uow.events.add(_event(ward.id, s.id, EventType.BED_FALL, NOW + timedelta(days=1)))
        # A retracted event no longer counts for the safety days.
        await uow.events.update(dataclasses.replace(later, status=EventStatus.RETRACTED))
        await uow.commit()
    async with database.uow() as uow:
        got = await uow.events.get(early.id)
        assert got == early and got.occurred_at.tzinfo is UTC
        last = await uow.events.last_of_types(ward.id, ["fall", "bed_fall", "other"])
        assert last == {"fall": NOW, "bed_fall": NOW + timedelta(days=1)}
        assert all(v.tzinfo is not None for v in last.values())
        window = await uow.events.of_ward(ward.id, since=NOW, until=NOW + timedelta(days=2))
        assert [e.type for e in window] == [EventType.FALL, EventType.BED_FALL]
        assert len(await uow.events.of_ward(ward.id)) == 3
        await uow.quality.put(
            QualitySettings(ward.id, (EventType.PRESSURE_INJURY,), (7,), ("护理文书",), NOW, 7)
        )
        await uow.commit()
    async with database.uow() as uow:
        settings = await uow.quality.get(ward.id)
        assert settings == QualitySettings(
            ward.id, (EventType.PRESSURE_INJURY,), (7,), ("护理文书",), NOW, 7
        )


async def test_task_facts_of_a_period_leave_cancelled_and_other_times_out(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await add_ward(uow)
        s = await uow.stays.add(stay(ward.id, "12"))

        def task(n: int, planned: datetime, status: TaskStatus) -> TaskOccurrence:
            return TaskOccurrence(
                id=0,
                ward_id=ward.id,
                stay_id=s.id,
                kind=TaskKind.MED,
                source_id=n,
                rule_code="",
                planned_at=planned,
                due_at=planned,
                remind_at=planned,
                text="dose",
                created_at=clock.now(),
                status=status,
            )

        start = datetime(2025, 3, 1, tzinfo=UTC)
        await uow.tasks.add_missing(
            [
                task(1, start + timedelta(hours=1), TaskStatus.PENDING),
                task(2, start + timedelta(hours=2), TaskStatus.CANCELLED),
                task(3, start - timedelta(days=3), TaskStatus.PENDING),
            ]
        )
        await uow.commit()
    async with database.uow() as uow:
        facts = await uow.facts.tasks(ward.id, start, start + timedelta(days=31))
    assert [(f.planned_at, f.status) for f in facts] == [
        (start + timedelta(hours=1), TaskStatus.PENDING)
    ]


async def test_checks_and_problems(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        check = await uow.checks.add(QualityCheck(0, ward.id, NOW, 7, (18, 17, 19, 16, 20), "x"))
        problem = await uow.checks.add_problem(
            QcProblem(0, ward.id, check.id, "护理文书", "缺签名", 8, NOW, 7)
        )
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.checks.of_ward(ward.id) == [check]
        assert check.total == 90
        assert await uow.checks.problems(ward.id, open_only=True) == [problem]
        closed = dataclasses.replace(problem, closed_at=NOW + timedelta(days=1), closed_by=8)
        await uow.checks.update_problem(closed)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.checks.problems(ward.id, open_only=True) == []
        assert await uow.checks.problems(ward.id, since=NOW) == [closed]
        assert await uow.checks.problem(problem.id) == closed

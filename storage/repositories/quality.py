"""Repositories of the quality loop: adverse events and each ward's quality settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select

from boards.model import TaskKind, TaskStatus
from boards.quality_model import (
    AdverseEvent,
    EventStatus,
    EventType,
    QcProblem,
    QualityCheck,
    QualitySettings,
    Severity,
    TaskFact,
)
from storage.models import (
    AdverseEventRow,
    QcProblemRow,
    QualityCheckRow,
    QualitySettingsRow,
    TaskOccurrenceRow,
)
from storage.repositories._base import _missing, _Repository, _utc, _utc_or_none

__all__ = ["SqlAdverseEvents", "SqlQualityChecks", "SqlQualityFacts", "SqlQualitySettings"]


def _event(row: AdverseEventRow) -> AdverseEvent:
    return AdverseEvent(
        id=row.id,
        ward_id=row.ward_id,
        stay_id=row.stay_id,
        bed=row.bed,
        type=EventType(row.type),
        severity=Severity(row.severity),
        details=row.details,
        occurred_at=_utc(row.occurred_at),
        reported_by=row.reported_by,
        reported_at=_utc(row.reported_at),
        line_id=row.line_id,
        status=EventStatus(row.status),
    )


def _fill_event(row: AdverseEventRow, event: AdverseEvent) -> None:
    row.ward_id = event.ward_id
    row.stay_id = event.stay_id
    row.bed = event.bed
    row.type = event.type.value
    row.severity = event.severity.value
    row.details = event.details
    row.occurred_at = event.occurred_at
    row.reported_by = event.reported_by
    row.reported_at = event.reported_at
    row.line_id = event.line_id
    row.status = event.status.value


class SqlAdverseEvents(_Repository):
    __slots__ = ()

    async def add(self, event: AdverseEvent) -> AdverseEvent:
        row = AdverseEventRow()
        _fill_event(row, event)
        self._session.add(row)
        await self._flush()
        return _event(row)

    async def get(self, event_id: int) -> AdverseEvent | None:
        row = await self._session.get(AdverseEventRow, event_id)
        return None if row is None else _event(row)

    async def update(self, event: AdverseEvent) -> AdverseEvent:
        row = await self._session.get(AdverseEventRow, event.id)
        if row is None:
            raise _missing("adverse event", event.id)
        _fill_event(row, event)
        await self._flush()
        return _event(row)

    async def of_ward(
        self, ward_id: int, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[AdverseEvent]:
        query = select(AdverseEventRow).where(AdverseEventRow.ward_id == ward_id)
        if since is not None:
            query = query.where(AdverseEventRow.occurred_at >= since)
        if until is not None:
            query = query.where(AdverseEventRow.occurred_at < until)
        rows = await self._session.scalars(
            query.order_by(AdverseEventRow.occurred_at, AdverseEventRow.id)
        )
        return [_event(row) for row in rows]

    async def last_of_types(self, ward_id: int, types: Sequence[str]) -> dict[str, datetime]:
        if not types:
            return {}
        rows = await self._plain_rows(_LAST_OF_TYPES, {"ward_id": ward_id, "types": list(types)})
        found: dict[str, datetime] = {}
        for code, last in rows:
            when = _utc_or_none(_aware(last))
            if when is not None:
                found[code] = when
        return found


# Every board's safety days, built once.
_LAST_OF_TYPES = (
    select(AdverseEventRow.type, func.max(AdverseEventRow.occurred_at))
    .where(
        AdverseEventRow.ward_id == bindparam("ward_id"),
        AdverseEventRow.type.in_(bindparam("types", expanding=True)),
        AdverseEventRow.status != EventStatus.RETRACTED.value,
    )
    .group_by(AdverseEventRow.type)
)


def _aware(value: datetime | None) -> datetime | None:
    # max() bypasses the column type on SQLite: the naive UTC text comes back as it is.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _settings(row: QualitySettingsRow | Row[Any]) -> QualitySettings:
    return QualitySettings(
        ward_id=row.ward_id,
        safety_types=tuple(EventType(code) for code in row.safety_types),
        qc_members=tuple(int(u) for u in row.qc_members),
        qc_categories=tuple(str(c) for c in row.qc_categories),
        updated_at=_utc_or_none(row.updated_at),
        updated_by=row.updated_by,
    )


class SqlQualitySettings(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int) -> QualitySettings | None:
        row = await self._row(QualitySettingsRow, ward_id)
        return None if row is None else _settings(row)

    async def put(self, settings: QualitySettings) -> QualitySettings:
        row = await self._session.get(QualitySettingsRow, settings.ward_id)
        if row is None:
            row = QualitySettingsRow(ward_id=settings.ward_id)
            self._session.add(row)
        row.safety_types = [t.value for t in settings.safety_types]
        row.qc_members = list(settings.qc_members)
        row.qc_categories = list(settings.qc_categories)
        row.updated_at = settings.updated_at
        row.updated_by = settings.updated_by
        await self._flush()
        return _settings(row)


class SqlQualityFacts(_Repository):
    __slots__ = ()

    async def tasks(self, ward_id: int, start: datetime, end: datetime) -> list[TaskFact]:
        t = TaskOccurrenceRow
        # Columns, not ORM objects: a half-year is tens of thousands of tasks.
        rows = await self._session.execute(
            select(
                t.kind,
                t.status,
                t.planned_at,
                t.due_at,
                t.done_at,
                t.done_by,
                t.skip_reason,
                t.sent_at,
                t.escalated_at,
            )
            .where(
                t.ward_id == ward_id,
                t.status != TaskStatus.CANCELLED.value,
                or_(
                    t.planned_at.between(start, end),
                    t.sent_at.between(start, end),
                    t.done_at.between(start, end),
                ),
            )
            # A year of a ward's tasks: SQLite reads it in its own thread, the loop goes on.
            .execution_options(sqlite_in_thread=True)
        )
        return [
            TaskFact(
                TaskKind(kind),
                TaskStatus(status),
                _utc(planned),
                _utc(due),
                _utc_or_none(done),
                done_by,
                reason,
                _utc_or_none(sent),
                _utc_or_none(escalated),
            )
            for kind, status, planned, due, done, done_by, reason, sent, escalated in rows
        ]


def _check(row: QualityCheckRow) -> QualityCheck:
    return QualityCheck(
        id=row.id,
        ward_id=row.ward_id,
        checked_at=_utc(row.checked_at),
        checked_by=row.checked_by,
        scores=tuple(int(s) for s in row.scores),
        note=row.note,
    )


def _problem(row: QcProblemRow) -> QcProblem:
    return QcProblem(
        id=row.id,
        ward_id=row.ward_id,
        check_id=row.check_id,
        category=row.category,
        description=row.description,
        owner_id=row.owner_id,
        found_at=_utc(row.found_at),
        found_by=row.found_by,
        closed_at=_utc_or_none(row.closed_at),
        closed_by=row.closed_by,
    )


def _fill_problem(row: QcProblemRow, problem: QcProblem) -> None:
    row.ward_id = problem.ward_id
    row.check_id = problem.check_id
    row.category = problem.category
    row.description = problem.description
    row.owner_id = problem.owner_id
    row.found_at = problem.found_at
    row.found_by = problem.found_by
    row.closed_at = problem.closed_at
    row.closed_by = problem.closed_by


class SqlQualityChecks(_Repository):
    __slots__ = ()

    async def add(self, check: QualityCheck) -> QualityCheck:
        row = QualityCheckRow(
            ward_id=check.ward_id,
            checked_at=check.checked_at,
            checked_by=check.checked_by,
            scores=list(check.scores),
            note=check.note,
        )
        self._session.add(row)
        await self._flush()
        return _check(row)

    async def of_ward(
        self, ward_id: int, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[QualityCheck]:
        query = select(QualityCheckRow).where(QualityCheckRow.ward_id == ward_id)
        if since is not None:
            query = query.where(QualityCheckRow.checked_at >= since)
        if until is not None:
            query = query.where(QualityCheckRow.checked_at < until)
        rows = await self._session.scalars(
            query.order_by(QualityCheckRow.checked_at, QualityCheckRow.id)
        )
        return [_check(row) for row in rows]

    async def add_problem(self, problem: QcProblem) -> QcProblem:
        row = QcProblemRow()
        _fill_problem(row, problem)
        self._session.add(row)
        await self._flush()
        return _problem(row)

    async def problem(self, problem_id: int) -> QcProblem | None:
        row = await self._session.get(QcProblemRow, problem_id)
        return None if row is None else _problem(row)

    async def update_problem(self, problem: QcProblem) -> QcProblem:
        row = await self._session.get(QcProblemRow, problem.id)
        if row is None:
            raise _missing("qc problem", problem.id)
        _fill_problem(row, problem)
        await self._flush()
        return _problem(row)

    async def problems(
        self, ward_id: int, *, open_only: bool = False, since: datetime | None = None
    ) -> list[QcProblem]:
        query = select(QcProblemRow).where(QcProblemRow.ward_id == ward_id)
        if open_only:
            query = query.where(QcProblemRow.closed_at.is_(None))
        if since is not None:
            query = query.where(QcProblemRow.found_at >= since)
        rows = await self._session.scalars(query.order_by(QcProblemRow.id))
        return [_problem(row) for row in rows]

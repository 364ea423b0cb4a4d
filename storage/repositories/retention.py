"""Retention: a discharged stay's personal data anonymised, the counts kept for reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from boards.model import ANONYMISED, StayStatus
from storage.models import (
    AdverseEventRow,
    AuditRow,
    BoardItemRow,
    PatientLineRow,
    PatientTagRow,
    ReminderRow,
    StayRow,
    SurgeryRow,
    TaskOccurrenceRow,
)
from storage.repositories._base import _Repository

__all__ = ["SqlRetention"]


def _scrub(value: Any, secrets: frozenset[str]) -> Any:
    """An audit entry's JSON with every string that is one of the stay's own texts replaced."""
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str) and value in secrets:
        return ANONYMISED
    return value


class SqlRetention(_Repository):
    __slots__ = ()

    async def expired(
        self, ward_id: int, *, ended_before: datetime, limit: int | None = None
    ) -> list[int]:
        """Stays of the ward that ended before the cut-off and still hold personal data."""
        rows = await self._session.scalars(
            select(StayRow.id)
            .where(
                StayRow.ward_id == ward_id,
                StayRow.status != StayStatus.ACTIVE.value,
                StayRow.ended_at < ended_before,
                StayRow.name != ANONYMISED,
            )
            .order_by(StayRow.id)
            .limit(limit)
        )
        return list(rows)

    async def anonymise(self, ward_id: int, stay_ids: Sequence[int]) -> int:
        """Name, diagnosis and every free text of these stays (notes, procedures, reminder
        texts, tag details, line sites, adverse events' details, and the audit entries
        written about them) replaced by ANONYMISED; bed, sex, age band, times, levels, tags,
        lines, tasks and events stay, so patient days, line days, timeliness and event
        rates still count."""
        if not stay_ids:
            return 0
        ids = list(stay_ids)
        stays = (
            await self._session.scalars(
                select(StayRow).where(StayRow.id.in_(ids), StayRow.ward_id == ward_id)
            )
        ).all()
        secrets: set[str] = set()
        spans: list[tuple[datetime, datetime]] = []
        for stay in stays:
            secrets |= {
                stay.name,
                *filter(None, [stay.diagnosis, stay.admission_no, stay.visit_no]),
            }
            spans.append(
                (stay.admitted_at, (stay.ended_at or stay.admitted_at) + timedelta(days=1))
            )
        for column in (
            BoardItemRow.text,
            SurgeryRow.procedure,
            ReminderRow.text,
            PatientTagRow.detail,
            PatientLineRow.site,
            PatientLineRow.purpose,
            AdverseEventRow.details,
        ):
            table = column.class_
            found = await self._session.scalars(select(column).where(table.stay_id.in_(ids)))
            secrets |= {text for text in found if text}
        secrets.discard(ANONYMISED)
        await self._session.execute(
            update(StayRow)
            .where(StayRow.id.in_([s.id for s in stays]))
            .values(name=ANONYMISED, diagnosis=None, admission_no=None, visit_no=None)
        )
        for table, values in (
            (BoardItemRow, {"text": ANONYMISED}),
            (SurgeryRow, {"procedure": ANONYMISED}),
            (ReminderRow, {"text": ANONYMISED}),
        ):
            await self._session.execute(
                update(table).where(table.stay_id.in_(ids)).values(**values)
            )
        await self._session.execute(
            update(PatientTagRow)
            .where(PatientTagRow.stay_id.in_(ids), PatientTagRow.detail.is_not(None))
            .values(detail=ANONYMISED)
        )
        await self._session.execute(
            update(AdverseEventRow)
            .where(AdverseEventRow.stay_id.in_(ids), AdverseEventRow.details.is_not(None))
            .values(details=ANONYMISED)
        )
        await self._session.execute(
            update(PatientLineRow)
            .where(PatientLineRow.stay_id.in_(ids))
            .values(site=None, purpose=None)
        )
        # A reminder's text is free text; a dose's or a line care's is the order's, kept.
        await self._session.execute(
            update(TaskOccurrenceRow)
            .where(TaskOccurrenceRow.stay_id.in_(ids), TaskOccurrenceRow.kind == "reminder")
            .values(text=ANONYMISED)
        )
        if secrets and spans:
            frozen = frozenset(secrets)
            start, end = min(s for s, _ in spans), max(e for _, e in spans)
            entries = await self._session.scalars(
                select(AuditRow).where(
                    AuditRow.ward_id == ward_id, AuditRow.at >= start, AuditRow.at <= end
                )
            )
            for entry in entries:
                before, after = _scrub(entry.before, frozen), _scrub(entry.after, frozen)
                target = ANONYMISED if entry.target in frozen else entry.target
                if (before, after, target) != (entry.before, entry.after, entry.target):
                    entry.before, entry.after, entry.target = before, after, target
        await self._flush()
        return len(stays)

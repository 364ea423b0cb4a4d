"""Repositories of what makes tasks: medication orders, reminders, ward policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from boards.model import (
    MedicationOrder,
    Reminder,
)
from boards.schedule import Frequency, Route
from storage.models import (
    MedicationOrderRow,
    ReminderRow,
    WardPolicyRow,
)
from storage.repositories._base import _missing, _Repository, _utc, _utc_or_none

# --- medication orders, reminders, ward policies -------------------------------------------


def _order(row: MedicationOrderRow) -> MedicationOrder:
    return MedicationOrder(
        id=row.id,
        stay_id=row.stay_id,
        drug=row.drug,
        dose=row.dose,
        route=Route(row.route),
        freq=Frequency(row.freq),
        start_at=_utc(row.start_at),
        stop_at=_utc_or_none(row.stop_at),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        stopped_at=_utc_or_none(row.stopped_at),
        stopped_by=row.stopped_by,
    )


def _fill_order(row: MedicationOrderRow, order: MedicationOrder) -> None:
    row.stay_id = order.stay_id
    row.drug = order.drug
    row.dose = order.dose
    row.route = order.route.value
    row.freq = order.freq.value
    row.start_at = order.start_at
    row.stop_at = order.stop_at
    row.created_at = order.created_at
    row.created_by = order.created_by
    row.stopped_at = order.stopped_at
    row.stopped_by = order.stopped_by


class SqlMedicationOrders(_Repository):
    __slots__ = ()

    async def add(self, order: MedicationOrder) -> MedicationOrder:
        """Insert; the id of the given order is ignored and the stored one returned."""
        row = MedicationOrderRow()
        _fill_order(row, order)
        self._session.add(row)
        await self._flush()
        return _order(row)

    async def get(self, order_id: int) -> MedicationOrder | None:
        row = await self._session.get(MedicationOrderRow, order_id)
        return None if row is None else _order(row)

    async def update(self, order: MedicationOrder) -> MedicationOrder:
        row = await self._session.get(MedicationOrderRow, order.id)
        if row is None:
            raise _missing("medication order", order.id)
        _fill_order(row, order)
        await self._flush()
        return _order(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[MedicationOrder]:
        """Every order of these stays, stopped ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(MedicationOrderRow)
            .where(MedicationOrderRow.stay_id.in_(list(stay_ids)))
            .order_by(MedicationOrderRow.id)
        )
        return [_order(row) for row in rows]


def _clock_text(value: time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _clock_value(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        stay_id=row.stay_id,
        text=row.text,
        due_at=_utc(row.due_at),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        daily_at=_clock_value(row.daily_at),
        stopped_at=_utc_or_none(row.stopped_at),
        stopped_by=row.stopped_by,
    )


def _fill_reminder(row: ReminderRow, reminder: Reminder) -> None:
    row.stay_id = reminder.stay_id
    row.text = reminder.text
    row.due_at = reminder.due_at
    row.daily_at = _clock_text(reminder.daily_at)
    row.created_at = reminder.created_at
    row.created_by = reminder.created_by
    row.stopped_at = reminder.stopped_at
    row.stopped_by = reminder.stopped_by


class SqlReminders(_Repository):
    __slots__ = ()

    async def add(self, reminder: Reminder) -> Reminder:
        """Insert; the id of the given reminder is ignored and the stored one returned."""
        row = ReminderRow()
        _fill_reminder(row, reminder)
        self._session.add(row)
        await self._flush()
        return _reminder(row)

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self._session.get(ReminderRow, reminder_id)
        return None if row is None else _reminder(row)

    async def update(self, reminder: Reminder) -> Reminder:
        row = await self._session.get(ReminderRow, reminder.id)
        if row is None:
            raise _missing("reminder", reminder.id)
        _fill_reminder(row, reminder)
        await self._flush()
        return _reminder(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[Reminder]:
        """Every reminder of these stays, stopped ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._session.scalars(
            select(ReminderRow)
            .where(ReminderRow.stay_id.in_(list(stay_ids)))
            .order_by(ReminderRow.id)
        )
        return [_reminder(row) for row in rows]


class SqlWardPolicies(_Repository):
    __slots__ = ()

    async def get(self, ward_id: int) -> dict[str, Any] | None:
        row = await self._get(WardPolicyRow, ward_id)
        return None if row is None else dict(row.policy)

    async def put(
        self, ward_id: int, document: Mapping[str, Any], *, at: datetime, by: int
    ) -> None:
        """Insert or replace the ward's policy document."""
        self._stored(WardPolicyRow, ward_id)
        row = await self._session.get(WardPolicyRow, ward_id)
        if row is None:
            row = WardPolicyRow(ward_id=ward_id)
            self._session.add(row)
        row.policy = dict(document)
        row.updated_at = at
        row.updated_by = by
        await self._flush()

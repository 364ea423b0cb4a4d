"""Repositories of what is recorded as it happens: the audit log, the HIS feed's messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from boards.model import AuditEntry, HisMessage
from storage.models import AuditRow, HisMessageRow
from storage.repositories._base import _Repository, _table, _utc

# --- messages from the hospital system ------------------------------------------------------


def _his_message(row: HisMessageRow) -> HisMessage:
    return HisMessage(
        id=row.id,
        control_id=row.control_id,
        ward_id=row.ward_id,
        received_at=_utc(row.received_at),
        event=row.event,
        ack_code=row.ack_code,
        ack_text=row.ack_text,
    )


class SqlHisMessages(_Repository):
    __slots__ = ()

    async def get(self, control_id: str) -> HisMessage | None:
        row = await self._session.scalar(
            select(HisMessageRow).where(HisMessageRow.control_id == control_id)
        )
        return None if row is None else _his_message(row)

    async def add(self, message: HisMessage) -> HisMessage:
        """Record; the same control id twice raises Conflict (the unique constraint)."""
        row = HisMessageRow(
            control_id=message.control_id,
            ward_id=message.ward_id,
            received_at=message.received_at,
            event=message.event,
            ack_code=message.ack_code,
            ack_text=message.ack_text,
        )
        self._session.add(row)
        await self._flush()
        return _his_message(row)


# --- audit --------------------------------------------------------------------------------


def _audit(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        ward_id=row.ward_id,
        actor_id=row.actor_id,
        at=_utc(row.at),
        action=row.action,
        target=row.target,
        before=row.before,
        after=row.after,
    )


_INSERT_AUDIT = insert(_table(AuditRow))


class SqlAuditLog(_Repository):
    __slots__ = ()

    async def add(self, entry: AuditEntry) -> None:
        # Prebuilt, past the ORM (every change writes one); a refusal (a foreign key)
        # fails the whole change.
        await self._write(
            _INSERT_AUDIT,
            {
                "ward_id": entry.ward_id,
                "actor_id": entry.actor_id,
                "at": entry.at,
                "action": entry.action,
                "target": entry.target,
                "before": entry.before,
                "after": entry.after,
            },
        )

    async def of_ward(self, ward_id: int, limit: int = 50) -> list[AuditEntry]:
        """The ward's latest `limit` entries, newest first."""
        rows = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.ward_id == ward_id)
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [_audit(row) for row in rows]

    async def by_hand_since(self, ward_id: int, target: str, since: datetime) -> bool:
        found = await self._session.scalar(
            select(AuditRow.id)
            .where(
                AuditRow.ward_id == ward_id,
                AuditRow.target == target,
                AuditRow.at >= since,
                AuditRow.actor_id != 0,
            )
            .limit(1)
        )
        return found is not None

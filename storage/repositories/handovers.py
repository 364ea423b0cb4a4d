"""The handover repository: one row per ward and shift, claimed before it is posted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from boards.model import Handover
from storage.models import HandoverRow
from storage.repositories._base import _Repository, _utc, _utc_or_none

_H = HandoverRow


def _handover(row: HandoverRow) -> Handover:
    return Handover(
        id=row.id,
        ward_id=row.ward_id,
        shift_code=row.shift_code,
        shift_start=_utc(row.shift_start),
        shift_end=_utc(row.shift_end),
        claimed_by=row.claimed_by,
        claimed_until=_utc_or_none(row.claimed_until),
        chat_id=row.chat_id,
        message_ids=tuple(int(i) for i in row.message_ids or ()),
        posted_at=_utc_or_none(row.posted_at),
        handed_over_by=row.handed_over_by,
        taken_over_by=row.taken_over_by,
        taken_at=_utc_or_none(row.taken_at),
        reminded_at=_utc_or_none(row.reminded_at),
    )


class SqlHandovers(_Repository):
    __slots__ = ()

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def _one(self, statement: Any) -> Handover | None:
        result = await self._session.execute(
            statement.returning(_H).execution_options(synchronize_session=False)
        )
        row = result.scalars().first()
        return None if row is None else _handover(row)

    async def claim(
        self,
        *,
        ward_id: int,
        shift_code: str,
        shift_start: datetime,
        shift_end: datetime,
        owner: str,
        now: datetime,
        lease_until: datetime,
    ) -> Handover | None:
        insert = postgresql.insert if self._dialect() == "postgresql" else sqlite.insert
        # Inserted by exactly one instance: the unique (ward, shift start) decides.
        created = await self._one(
            insert(_H)
            .values(
                ward_id=ward_id,
                shift_code=shift_code,
                shift_start=shift_start,
                shift_end=shift_end,
                claimed_by=owner,
                claimed_until=lease_until,
            )
            .on_conflict_do_nothing()
        )
        if created is not None:
            return created
        # Already there: ours to post only if its poster died before posting.
        return await self._one(
            update(_H)
            .where(
                _H.ward_id == ward_id,
                _H.shift_start == shift_start,
                _H.posted_at.is_(None),
                or_(_H.claimed_until.is_(None), _H.claimed_until < now),
            )
            .values(claimed_by=owner, claimed_until=lease_until)
        )

    async def mark_posted(
        self,
        handover_id: int,
        *,
        owner: str,
        chat_id: int,
        message_ids: Sequence[int],
        at: datetime,
        handed_over_by: int | None,
    ) -> bool:
        done = await self._one(
            update(_H)
            .where(_H.id == handover_id, _H.claimed_by == owner, _H.posted_at.is_(None))
            .values(
                chat_id=chat_id,
                message_ids=list(message_ids),
                posted_at=at,
                handed_over_by=handed_over_by,
                claimed_until=None,
            )
        )
        return done is not None

    async def release(self, handover_id: int, *, owner: str) -> None:
        await self._session.execute(
            delete(_H).where(_H.id == handover_id, _H.claimed_by == owner, _H.posted_at.is_(None))
        )

    async def get(self, handover_id: int) -> Handover | None:
        row = await self._session.get(_H, handover_id)
        return None if row is None else _handover(row)

    async def take_over(self, handover_id: int, *, by: int, at: datetime) -> Handover | None:
        # Conditional: of two nurses pressing 接班 at once, one takes it over.
        return await self._one(
            update(_H)
            .where(_H.id == handover_id, _H.taken_at.is_(None), _H.posted_at.is_not(None))
            .values(taken_over_by=by, taken_at=at)
        )

    async def awaiting(self, *, posted_before: datetime) -> list[Handover]:
        rows = await self._session.scalars(
            select(_H)
            .where(
                _H.posted_at.is_not(None),
                _H.posted_at < posted_before,
                _H.taken_at.is_(None),
                _H.reminded_at.is_(None),
            )
            .order_by(_H.posted_at, _H.id)
        )
        return [_handover(row) for row in rows]

    async def mark_reminded(self, handover_id: int, *, at: datetime) -> bool:
        done = await self._one(
            update(_H)
            .where(_H.id == handover_id, _H.reminded_at.is_(None), _H.taken_at.is_(None))
            .values(reminded_at=at)
        )
        return done is not None

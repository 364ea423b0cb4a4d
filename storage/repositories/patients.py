"""Repositories of patient stays, their surgeries, board items and transfers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Row,
    bindparam,
    literal_column,
    or_,
    select,
    union_all,
    update,
)

from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    Sex,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    Transfer,
    TransferState,
    Ward,
)
from boards.parsing import bed_sort_key
from storage.models import (
    BoardItemRow,
    StayRow,
    SurgeryRow,
    TransferRow,
    WardRow,
)
from storage.repositories._base import (
    _inserting,
    _missing,
    _plain,
    _Repository,
    _updating_by_id,
    _utc,
    _utc_or_none,
    among,
)
from storage.repositories.wards import _ward

# --- transfers ----------------------------------------------------------------------------


def _transfer(row: TransferRow | Row[Any]) -> Transfer:
    return Transfer(
        id=row.id,
        stay_id=row.stay_id,
        from_ward_id=row.from_ward_id,
        to_ward_id=row.to_ward_id,
        bed_wanted=row.bed_wanted,
        state=TransferState(row.state),
        requested_by=row.requested_by,
        requested_at=_utc(row.requested_at),
        decided_by=row.decided_by,
        decided_at=_utc_or_none(row.decided_at),
        new_stay_id=row.new_stay_id,
    )


# Read for every board: built once.
_PENDING_OF = (
    select(*_plain(TransferRow))
    .where(
        or_(
            TransferRow.to_ward_id == bindparam("ward_id"),
            TransferRow.from_ward_id == bindparam("ward_id"),
        ),
        TransferRow.state == "pending",
    )
    .order_by(TransferRow.id)
)


class SqlTransfers(_Repository):
    __slots__ = ()

    async def add(self, transfer: Transfer) -> Transfer:
        row = TransferRow(
            stay_id=transfer.stay_id,
            from_ward_id=transfer.from_ward_id,
            to_ward_id=transfer.to_ward_id,
            bed_wanted=transfer.bed_wanted,
            state=transfer.state.value,
            requested_by=transfer.requested_by,
            requested_at=transfer.requested_at,
        )
        self._session.add(row)
        await self._flush()
        return _transfer(row)

    async def get(self, transfer_id: int) -> Transfer | None:
        row = await self._session.get(TransferRow, transfer_id)
        return None if row is None else _transfer(row)

    async def decide(
        self,
        transfer_id: int,
        *,
        state: TransferState,
        by: int,
        at: datetime,
        new_stay_id: int | None = None,
    ) -> Transfer | None:
        """Close a pending offer, once: None when it was no longer pending."""
        result = await self._session.execute(
            update(TransferRow)
            .where(TransferRow.id == transfer_id, TransferRow.state == "pending")
            .values(state=state.value, decided_by=by, decided_at=at, new_stay_id=new_stay_id)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        row = await self._session.get(TransferRow, transfer_id, populate_existing=True)
        return None if row is None else _transfer(row)

    async def pending_to(self, ward_id: int) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.to_ward_id == ward_id, TransferRow.state == "pending")
            .order_by(TransferRow.id)
        )
        return [_transfer(row) for row in rows]

    async def pending_of(self, ward_id: int) -> list[Transfer]:
        rows = await self._plain_rows(_PENDING_OF, {"ward_id": ward_id})
        return [_transfer(row) for row in rows]

    async def pending_from(self, ward_id: int) -> list[Transfer]:
        rows = await self._session.scalars(
            select(TransferRow)
            .where(TransferRow.from_ward_id == ward_id, TransferRow.state == "pending")
            .order_by(TransferRow.id)
        )
        return [_transfer(row) for row in rows]


# --- patients -----------------------------------------------------------------------------


# Enum lookups by value, as dicts: thousands of rows are read at 08:00.
_SEX = {member.value: member for member in Sex}
_STAY_STATUS = {member.value: member for member in StayStatus}


def _stay(row: StayRow | Row[Any]) -> Stay:
    return Stay(
        id=row.id,
        ward_id=row.ward_id,
        bed=row.bed,
        name=row.name,
        sex=_SEX[row.sex],
        age=Age.parse_stored(row.age),
        diagnosis=row.diagnosis,
        level=None if row.level is None else NursingLevel(row.level),
        admitted_at=_utc(row.admitted_at),
        token=row.token,
        status=_STAY_STATUS[row.status],
        ended_at=_utc_or_none(row.ended_at),
        critical=None if row.critical is None else Critical(row.critical),
        transferred_from=row.transferred_from,
        transferred_to=row.transferred_to,
        admission_no=row.admission_no,
        visit_no=row.visit_no,
    )


def _stay_values(stay: Stay) -> dict[str, Any]:
    """The stay's columns as stored, but its id."""
    return {
        "ward_id": stay.ward_id,
        "bed": stay.bed,
        "name": stay.name,
        "sex": stay.sex.value,
        "age": str(stay.age),
        "diagnosis": stay.diagnosis,
        "level": None if stay.level is None else stay.level.value,
        "admitted_at": stay.admitted_at,
        "token": stay.token,
        "status": stay.status.value,
        "ended_at": stay.ended_at,
        "critical": None if stay.critical is None else stay.critical.value,
        "transferred_from": stay.transferred_from,
        "transferred_to": stay.transferred_to,
        "admission_no": stay.admission_no,
        "visit_no": stay.visit_no,
    }


# A Stay's columns in the order of its fields, for reading thousands at once (08:00): rows
# unpacked by position, an order of magnitude cheaper than by name; UtcDateTime hands
# datetimes back as aware UTC already.
_STAY_COLUMNS = (
    StayRow.id,
    StayRow.ward_id,
    StayRow.bed,
    StayRow.name,
    StayRow.sex,
    StayRow.age,
    StayRow.diagnosis,
    StayRow.level,
    StayRow.admitted_at,
    StayRow.token,
    StayRow.status,
    StayRow.ended_at,
    StayRow.critical,
    StayRow.transferred_from,
    StayRow.transferred_to,
    StayRow.admission_no,
    StayRow.visit_no,
)
# The keys of `_stay_values` (every column but the id), for the statements bound by them.
_STAY_VALUE_NAMES = tuple(column.key for column in _STAY_COLUMNS[1:])

# The statements of every board and card, built once (a select of twenty columns costs
# more to build than SQLite takes to run it); the values are bound when run.
_IS_ACTIVE = (StayRow.ward_id == bindparam("ward_id"), StayRow.status == StayStatus.ACTIVE.value)
_ENDED = (StayRow.ward_id == bindparam("ward_id"), StayRow.ended_at >= bindparam("since"))
_ACTIVE = select(*_STAY_COLUMNS).where(*_IS_ACTIVE)
_ENDED_SINCE = select(*_STAY_COLUMNS).where(*_ENDED).order_by(StayRow.ended_at, StayRow.id)
# Both of a board's stays in one statement, each half by its own index; the first column
# says which half a row came from.
_ON_BOARD: CompoundSelect[Any] = union_all(
    select(literal_column("1"), *_STAY_COLUMNS).where(*_IS_ACTIVE),
    select(literal_column("0"), *_STAY_COLUMNS).where(*_ENDED),
)
_MANY = select(*_STAY_COLUMNS).where(among(StayRow.id)).order_by(StayRow.id)
_IN_BED = select(*_STAY_COLUMNS).where(
    StayRow.ward_id == bindparam("ward_id"),
    StayRow.bed == bindparam("bed"),
    StayRow.status == StayStatus.ACTIVE.value,
)


if [c.key for c in _STAY_COLUMNS] != [f.name for f in fields(Stay)]:
    raise ImportError("_STAY_COLUMNS no longer follows Stay's fields")


def _stay_of(row: Sequence[Any]) -> Stay:
    """A row of `_STAY_COLUMNS` as the domain's stay."""
    (
        id_,
        ward_id,
        bed,
        name,
        sex,
        age,
        diagnosis,
        level,
        admitted_at,
        token,
        status,
        ended_at,
        critical,
        transferred_from,
        transferred_to,
        admission_no,
        visit_no,
    ) = row
    return Stay(
        id=id_,
        ward_id=ward_id,
        bed=bed,
        name=name,
        sex=_SEX[sex],
        age=Age.parse_stored(age),
        diagnosis=diagnosis,
        level=None if level is None else NursingLevel(level),
        admitted_at=admitted_at,
        token=token,
        status=_STAY_STATUS[status],
        ended_at=ended_at,
        critical=None if critical is None else Critical(critical),
        transferred_from=transferred_from,
        transferred_to=transferred_to,
        admission_no=admission_no,
        visit_no=visit_no,
    )


def _bed_order(stay: Stay) -> tuple[tuple[int, int], str]:
    return bed_sort_key(stay.bed), stay.bed


_INSERT_STAY = _inserting(StayRow)
_UPDATE_STAY = _updating_by_id(
    StayRow, [name for name in _STAY_VALUE_NAMES if name != "ward_id"], within=("ward_id",)
)


class SqlStays(_Repository):
    __slots__ = ()

    async def add(self, stay: Stay) -> Stay:
        """Insert; the id of the given stay is ignored and the stored one returned.

        A second active stay in an occupied bed is a Conflict.
        """
        values = _stay_values(stay)
        stay_id = (await self._write(_INSERT_STAY, values)).scalar_one()
        return _stay(StayRow(id=stay_id, **values))

    async def get(self, stay_id: int) -> Stay | None:
        row = await self._session.get(StayRow, stay_id)
        return None if row is None else _stay(row)

    async def many(self, stay_ids: Sequence[int]) -> list[Stay]:
        """The stays asked for that exist, by id, in one statement whatever their number
        (12,000 at 08:00: rendered as IN (...), SQLAlchemy took 0.2 s over their binds)."""
        ids = sorted(set(stay_ids))
        if not ids:
            return []
        rows = await self._plain_rows(_MANY, {"ids": ids})
        return [_stay_of(row) for row in rows]

    async def by_token(self, token: str) -> Stay | None:
        """The stay a bedside QR sign points to, active or not (the caller decides)."""
        row = await self._session.scalar(select(StayRow).where(StayRow.token == token))
        return None if row is None else _stay(row)

    async def active_in_bed(self, ward_id: int, bed: str) -> Stay | None:
        row = (await self._plain_rows(_IN_BED, {"ward_id": ward_id, "bed": bed})).first()
        return None if row is None else _stay_of(row)

    async def active(self, ward_id: int) -> list[Stay]:
        """Active stays in ward bed order: numbered beds by number, extra beds (+1...) last."""
        # Plain rows, not entities: read for every board, every /tasks.
        rows = await self._plain_rows(_ACTIVE, {"ward_id": ward_id})
        # Bed labels are text ("2" < "10" numerically, "+1" after all): sort in Python with
        # the domain's own key rather than teach two SQL dialects the ward's ordering.
        return sorted((_stay_of(row) for row in rows), key=_bed_order)

    async def on_board(self, ward_id: int, since: datetime) -> tuple[list[Stay], list[Stay]]:
        active: list[Stay] = []
        ended: list[Stay] = []
        for row in await self._plain_rows(_ON_BOARD, {"ward_id": ward_id, "since": since}):
            (active if row[0] == 1 else ended).append(_stay_of(row[1:]))
        active.sort(key=_bed_order)
        ended.sort(key=lambda s: (s.ended_at or since, s.id))
        return active, ended

    async def ended_since(self, ward_id: int, since: datetime) -> list[Stay]:
        """Stays of the ward that ended (discharge or transfer) at or after `since`."""
        rows = await self._plain_rows(_ENDED_SINCE, {"ward_id": ward_id, "since": since})
        return [_stay_of(row) for row in rows]

    async def overlapping(self, ward_id: int, start: datetime, end: datetime) -> list[Stay]:
        """Stays present at some time in [start, end): admitted before `end`, not ended
        before `start`; by id."""
        rows = await self._session.scalars(
            select(StayRow)
            .where(
                StayRow.ward_id == ward_id,
                StayRow.admitted_at < end,
                (StayRow.ended_at.is_(None)) | (StayRow.ended_at >= start),
            )
            .order_by(StayRow.id)
        )
        return [_stay(row) for row in rows]

    async def update(self, stay: Stay) -> Stay:
        # One UPDATE by id: the row read before is seldom still in the session (its
        # identity map holds rows weakly), and loading it again would be a SELECT more.
        # Prebuilt, by id within its ward (a stay never leaves its ward: a trigger refuses
        # it, and a transfer is a new stay in the other ward).
        values = _stay_values(stay)
        ward_id = values.pop("ward_id")
        result = await self._write(
            _UPDATE_STAY, {"row_id": stay.id, "of_ward_id": ward_id, **values}
        )
        if getattr(result, "rowcount", 0) != 1:
            raise _missing("stay", stay.id)
        self._expire(StayRow, stay.id)
        return _stay(StayRow(id=stay.id, ward_id=ward_id, **values))

    async def active_by_admission(self, ward_id: int, admission_no: str) -> Stay | None:
        row = await self._session.scalar(
            select(StayRow).where(
                StayRow.ward_id == ward_id,
                StayRow.admission_no == admission_no,
                StayRow.status == StayStatus.ACTIVE.value,
            )
        )
        return None if row is None else _stay(row)

    async def by_admission(self, admission_no: str) -> list[Stay]:
        """Every stay with this admission number, any ward or status, newest admission first."""
        rows = await self._session.scalars(
            select(StayRow)
            .where(StayRow.admission_no == admission_no)
            .order_by(StayRow.admitted_at.desc(), StayRow.id.desc())
        )
        return [_stay(row) for row in rows]

    async def active_with_wards(self, admission_no: str) -> list[tuple[Stay, Ward]]:
        rows = await self._session.execute(
            select(StayRow, WardRow)
            .join(WardRow, WardRow.id == StayRow.ward_id)
            .where(
                StayRow.admission_no == admission_no,
                StayRow.status == StayStatus.ACTIVE.value,
            )
            .order_by(StayRow.admitted_at.desc(), StayRow.id.desc())
        )
        return [(_stay(stay), _ward(ward)) for stay, ward in rows]

    async def active_by_admission_or_bed(
        self, ward_id: int, admission_no: str, bed: str
    ) -> list[Stay]:
        rows = await self._session.scalars(
            select(StayRow).where(
                StayRow.ward_id == ward_id,
                StayRow.status == StayStatus.ACTIVE.value,
                (StayRow.admission_no == admission_no) | (StayRow.bed == bed),
            )
        )
        return [_stay(row) for row in rows]


def _surgery(row: SurgeryRow | Row[Any]) -> Surgery:
    return Surgery(
        id=row.id,
        stay_id=row.stay_id,
        scheduled_at=_utc(row.scheduled_at),
        procedure=row.procedure,
        state=SurgeryState(row.state),
        updated_at=_utc(row.updated_at),
    )


def _fill_surgery(row: SurgeryRow, surgery: Surgery) -> None:
    row.stay_id = surgery.stay_id
    row.scheduled_at = surgery.scheduled_at
    row.procedure = surgery.procedure
    row.state = surgery.state.value
    row.updated_at = surgery.updated_at


_SURGERIES_OF = (
    select(*_plain(SurgeryRow))
    .where(among(SurgeryRow.stay_id))
    .order_by(SurgeryRow.scheduled_at, SurgeryRow.id)
)


class SqlSurgeries(_Repository):
    __slots__ = ()

    async def add(self, surgery: Surgery) -> Surgery:
        """Insert; the id of the given surgery is ignored and the stored one returned."""
        row = SurgeryRow()
        _fill_surgery(row, surgery)
        self._session.add(row)
        await self._flush()
        return _surgery(row)

    async def update(self, surgery: Surgery) -> Surgery:
        row = await self._session.get(SurgeryRow, surgery.id)
        if row is None:
            raise _missing("surgery", surgery.id)
        _fill_surgery(row, surgery)
        await self._flush()
        return _surgery(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[Surgery]:
        """Every surgery of these stays, in any state, by scheduled time."""
        if not stay_ids:
            return []
        rows = await self._plain_rows(_SURGERIES_OF, {"ids": list(stay_ids)})
        return [_surgery(row) for row in rows]


_INSERT_ITEM = _inserting(BoardItemRow)


def _item(row: BoardItemRow | Row[Any]) -> BoardItem:
    return BoardItem(
        id=row.id,
        stay_id=row.stay_id,
        kind=ItemKind(row.kind),
        at=_utc(row.at),
        text=row.text,
        created_by=row.created_by,
    )


_ITEMS_BETWEEN = (
    select(*_plain(BoardItemRow))
    .where(
        among(BoardItemRow.stay_id),
        BoardItemRow.at >= bindparam("start"),
        BoardItemRow.at < bindparam("end"),
    )
    .order_by(BoardItemRow.at, BoardItemRow.id)
)


class SqlBoardItems(_Repository):
    __slots__ = ()

    async def add(self, item: BoardItem) -> BoardItem:
        """Insert; the id of the given item is ignored and the stored one returned."""
        values = {
            "stay_id": item.stay_id,
            "kind": item.kind.value,
            "at": item.at,
            "text": item.text,
            "created_by": item.created_by,
        }
        item_id = (await self._write(_INSERT_ITEM, values)).scalar_one()
        return _item(BoardItemRow(id=item_id, **values))

    async def of_stays_between(
        self, stay_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[BoardItem]:
        """Items of these stays with start <= at < end, by time (a day is [00:00, next 00:00))."""
        if not stay_ids:
            return []
        rows = await self._plain_rows(
            _ITEMS_BETWEEN, {"ids": list(stay_ids), "start": start, "end": end}
        )
        return [_item(row) for row in rows]

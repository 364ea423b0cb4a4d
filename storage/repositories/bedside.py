"""Repositories of what is at the bedside: tags, lines, ward tag settings, printed signs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select

from boards.model import (
    PatientLine,
    PatientTag,
    SignPrint,
    WardTagSetting,
)
from storage.models import (
    BedSignRow,
    PatientLineRow,
    PatientTagRow,
    WardTagRow,
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

# --- bedside: tags, lines, ward tag settings, printed signs --------------------------------


def _patient_tag(row: PatientTagRow | Row[Any]) -> PatientTag:
    return PatientTag(
        id=row.id,
        stay_id=row.stay_id,
        code=row.code,
        detail=row.detail,
        added_at=_utc(row.added_at),
        added_by=row.added_by,
        removed_at=_utc_or_none(row.removed_at),
        removed_by=row.removed_by,
    )


def _patient_tag_values(tag: PatientTag) -> dict[str, Any]:
    """The tag's columns as stored, but its id."""
    return {
        "stay_id": tag.stay_id,
        "code": tag.code,
        "detail": tag.detail,
        "added_at": tag.added_at,
        "added_by": tag.added_by,
        "removed_at": tag.removed_at,
        "removed_by": tag.removed_by,
    }


# A tag's writes, prebuilt: one a /tag, one an /untag. What a tag's change can change: its
# detail (an allergy's drug written again) and its removal; never its stay, code or adding.
_INSERT_TAG = _inserting(PatientTagRow)
_UPDATE_TAG = _updating_by_id(
    PatientTagRow, ("detail", "removed_at", "removed_by"), within=("stay_id",)
)


# The bedside reads of every board and card, built once; the values are bound when run.
_PRESENT_TAGS = (
    select(*_plain(PatientTagRow))
    .where(
        among(PatientTagRow.stay_id),
        PatientTagRow.removed_at.is_(None),
    )
    .order_by(PatientTagRow.added_at, PatientTagRow.id)
)
_LINES_OF = (
    select(*_plain(PatientLineRow))
    .where(among(PatientLineRow.stay_id))
    .order_by(PatientLineRow.id)
)
_SIGNS_OF = (
    select(*_plain(BedSignRow)).where(among(BedSignRow.stay_id)).order_by(BedSignRow.stay_id)
)
_WARD_TAGS = (
    select(*_plain(WardTagRow))
    .where(WardTagRow.ward_id == bindparam("ward_id"))
    .order_by(WardTagRow.created_at, WardTagRow.code)
)


class SqlPatientTags(_Repository):
    __slots__ = ()

    async def add(self, tag: PatientTag) -> PatientTag:
        """Insert; the id of the given tag is ignored and the stored one returned.

        A second present tag of the same code on the same stay is a Conflict.
        """
        values = _patient_tag_values(tag)
        tag_id = (await self._write(_INSERT_TAG, values)).scalar_one()
        return _patient_tag(PatientTagRow(id=tag_id, **values))

    async def update(self, tag: PatientTag) -> PatientTag:
        """Its detail and removal, one UPDATE by id (the tag was just read as a plain row;
        loading it into the session was a SELECT more)."""
        result = await self._write(
            _UPDATE_TAG,
            {
                "row_id": tag.id,
                "of_stay_id": tag.stay_id,
                "detail": tag.detail,
                "removed_at": tag.removed_at,
                "removed_by": tag.removed_by,
            },
        )
        if getattr(result, "rowcount", 0) != 1:
            raise _missing("patient tag", tag.id)
        self._expire(PatientTagRow, tag.id)
        return tag

    async def present(self, stay_ids: Sequence[int]) -> list[PatientTag]:
        """Tags not removed, of these stays, in the order they were added."""
        if not stay_ids:
            return []
        # Plain rows, not entities (as the other bedside reads of many stays): every board.
        rows = await self._plain_rows(_PRESENT_TAGS, {"ids": list(stay_ids)})
        return [_patient_tag(row) for row in rows]


def _patient_line(row: PatientLineRow | Row[Any]) -> PatientLine:
    return PatientLine(
        id=row.id,
        stay_id=row.stay_id,
        code=row.code,
        site=row.site,
        inserted_at=_utc(row.inserted_at),
        purpose=row.purpose,
        added_by=row.added_by,
        removed_at=_utc_or_none(row.removed_at),
        removed_by=row.removed_by,
    )


def _fill_patient_line(row: PatientLineRow, line: PatientLine) -> None:
    row.stay_id = line.stay_id
    row.code = line.code
    row.site = line.site
    row.inserted_at = line.inserted_at
    row.purpose = line.purpose
    row.added_by = line.added_by
    row.removed_at = line.removed_at
    row.removed_by = line.removed_by


class SqlPatientLines(_Repository):
    __slots__ = ()

    async def add(self, line: PatientLine) -> PatientLine:
        """Insert; the id of the given line is ignored and the stored one returned."""
        row = PatientLineRow()
        _fill_patient_line(row, line)
        self._session.add(row)
        await self._flush()
        return _patient_line(row)

    async def update(self, line: PatientLine) -> PatientLine:
        row = await self._session.get(PatientLineRow, line.id)
        if row is None:
            raise _missing("patient line", line.id)
        _fill_patient_line(row, line)
        await self._flush()
        return _patient_line(row)

    async def of_stays(self, stay_ids: Sequence[int]) -> list[PatientLine]:
        """Every line of these stays, removed ones too, in the order recorded (by id)."""
        if not stay_ids:
            return []
        rows = await self._plain_rows(_LINES_OF, {"ids": list(stay_ids)})
        return [_patient_line(row) for row in rows]


def _ward_tag(row: WardTagRow | Row[Any]) -> WardTagSetting:
    return WardTagSetting(
        ward_id=row.ward_id,
        code=row.code,
        enabled=row.enabled,
        created_at=_utc(row.created_at),
        name_zh=row.name_zh,
        name_en=row.name_en,
        colour=row.colour,
        badge_zh=row.badge_zh,
        badge_en=row.badge_en,
        has_detail=row.has_detail,
    )


class SqlWardTags(_Repository):
    __slots__ = ()

    async def of_ward(self, ward_id: int) -> list[WardTagSetting]:
        """The ward's settings, oldest first."""
        rows = await self._plain_rows(_WARD_TAGS, {"ward_id": ward_id})
        return [_ward_tag(row) for row in rows]

    async def put(self, setting: WardTagSetting) -> WardTagSetting:
        """Insert or replace the setting of this code in this ward."""
        row = await self._session.get(WardTagRow, (setting.ward_id, setting.code))
        if row is None:
            row = WardTagRow(ward_id=setting.ward_id, code=setting.code)
            self._session.add(row)
        row.enabled = setting.enabled
        row.created_at = setting.created_at
        row.name_zh = setting.name_zh
        row.name_en = setting.name_en
        row.colour = setting.colour
        row.badge_zh = setting.badge_zh
        row.badge_en = setting.badge_en
        row.has_detail = setting.has_detail
        await self._flush()
        return _ward_tag(row)


def _sign(row: BedSignRow | Row[Any]) -> SignPrint:
    return SignPrint(
        stay_id=row.stay_id,
        printed_at=_utc(row.printed_at),
        printed_by=row.printed_by,
        fingerprint=row.fingerprint,
    )


class SqlBedSigns(_Repository):
    __slots__ = ()

    async def of_stays(self, stay_ids: Sequence[int]) -> list[SignPrint]:
        """The last print of each of these stays' signs that has one, by stay id."""
        if not stay_ids:
            return []
        rows = await self._plain_rows(_SIGNS_OF, {"ids": list(stay_ids)})
        return [_sign(row) for row in rows]

    async def put(self, sign: SignPrint) -> SignPrint:
        """Insert or replace the last print of this stay's sign."""
        row = await self._session.get(BedSignRow, sign.stay_id)
        if row is None:
            row = BedSignRow(stay_id=sign.stay_id)
            self._session.add(row)
        row.printed_at = sign.printed_at
        row.printed_by = sign.printed_by
        row.fingerprint = sign.fingerprint
        await self._flush()
        return _sign(row)

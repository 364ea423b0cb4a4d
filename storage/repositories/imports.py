"""Census imports in progress, so the nurse's file and her confirmation reach any instance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from boards.model import ImportDraft
from storage.models import ImportDraftRow
from storage.repositories._base import _Repository, _utc

__all__ = ["SqlImportDrafts"]

_COLUMNS = (
    ImportDraftRow.key,
    ImportDraftRow.user_id,
    ImportDraftRow.ward_id,
    ImportDraftRow.at,
    ImportDraftRow.source,
    ImportDraftRow.cells,
    ImportDraftRow.digest,
)


def _draft(found: Any) -> ImportDraft:
    key, user_id, ward_id, at, source, cells, digest = found
    return ImportDraft(
        key=key,
        user_id=user_id,
        ward_id=ward_id,
        at=_utc(at),
        source=source,
        cells=None if cells is None else tuple(tuple(str(c) for c in row) for row in cells),
        digest=digest,
    )


class SqlImportDrafts(_Repository):
    __slots__ = ()

    async def put(self, draft: ImportDraft) -> None:
        await self._session.merge(
            ImportDraftRow(
                key=draft.key,
                user_id=draft.user_id,
                ward_id=draft.ward_id,
                at=draft.at,
                source=draft.source,
                cells=None if draft.cells is None else [list(row) for row in draft.cells],
                digest=draft.digest,
            )
        )
        await self._flush()

    async def get(self, key: str) -> ImportDraft | None:
        found = (
            await self._session.execute(select(*_COLUMNS).where(ImportDraftRow.key == key))
        ).one_or_none()
        return None if found is None else _draft(found)

    async def take(self, key: str) -> ImportDraft | None:
        # One statement: of two instances taking the same key, the second deletes nothing.
        found = (
            await self._session.execute(
                delete(ImportDraftRow)
                .where(ImportDraftRow.key == key)
                .returning(*_COLUMNS)
                .execution_options(synchronize_session=False)
            )
        ).one_or_none()
        return None if found is None else _draft(found)

    async def expire(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(ImportDraftRow).where(ImportDraftRow.at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

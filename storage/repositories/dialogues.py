"""Guided dialogues in progress, one per private chat, so any bot instance takes the answer."""

from __future__ import annotations

from sqlalchemy import delete

from boards.model import DialogueState
from storage.models import DialogueRow
from storage.repositories._base import _Repository, _utc

__all__ = ["SqlDialogues"]


class SqlDialogues(_Repository):
    __slots__ = ()

    async def get(self, chat_id: int) -> DialogueState | None:
        # Read once a session (the turn reads it with her preferences: SqlUsers.get).
        row = await self._get(DialogueRow, chat_id)
        if row is None:
            return None
        return DialogueState(
            chat_id=row.chat_id,
            command=row.command,
            ward_id=row.ward_id,
            args=tuple(str(a) for a in row.args),
            index=row.step,
            expected=tuple((str(bed), int(stay)) for bed, stay in row.expected),
            touched_at=_utc(row.touched_at),
        )

    async def put(self, state: DialogueState) -> None:
        self._stored(DialogueRow, state.chat_id)
        row = await self._session.get(DialogueRow, state.chat_id)
        if row is None:
            row = DialogueRow(chat_id=state.chat_id)
            self._session.add(row)
        row.command = state.command
        row.ward_id = state.ward_id
        row.args = list(state.args)
        row.step = state.index
        row.expected = [[bed, stay] for bed, stay in state.expected]
        row.touched_at = state.touched_at
        await self._flush()

    async def delete(self, chat_id: int) -> None:
        self._stored(DialogueRow, chat_id)
        await self._session.execute(delete(DialogueRow).where(DialogueRow.chat_id == chat_id))

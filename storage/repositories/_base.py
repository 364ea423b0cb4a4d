"""The base every repository shares: one session, flushing at once, and UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from boards.errors import Conflict

# Every write flushes at once: constraint violations surface at the call that caused them,
# and new rows get their ids before the next statement needs them.


class _Repository:
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _flush(self) -> None:
        try:
            await self._session.flush()
        except IntegrityError as error:
            # Two nurses changing the same bed at the same moment: the database kept one
            # change; the other nurse is told to look again. The SQL error text (which quotes
            # patient data) stays out of the refusal.
            raise Conflict("err.changed_meanwhile") from error


def _missing(kind: str, key: object) -> LookupError:
    return LookupError(f"{kind} {key} does not exist")


def _utc(value: datetime) -> datetime:
    # A row just written still holds the caller's datetime, perhaps in a ward's zone; what
    # a repository returns is UTC either way, like what comes back from the database.
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)

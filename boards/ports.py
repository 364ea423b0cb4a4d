"""Ports the domain needs: repositories, unit of work and clock, implemented elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from boards.model import (
    AuditEntry,
    BoardItem,
    Invite,
    Member,
    PatientLine,
    PatientTag,
    SignPrint,
    Stay,
    Surgery,
    UserPrefs,
    Ward,
    WardTagSetting,
)

__all__ = [
    "AuditLog",
    "BedSigns",
    "BoardItems",
    "Clock",
    "Invites",
    "Members",
    "PatientLines",
    "PatientTags",
    "Stays",
    "Surgeries",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Users",
    "WardTags",
    "Wards",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Wards(Protocol):
    async def add(
        self, *, name: str, timezone: str, locale: str, created_at: datetime, bed_count: int | None
    ) -> Ward: ...
    async def get(self, ward_id: int) -> Ward | None: ...
    async def by_name(self, name: str) -> Ward | None: ...
    async def by_group(self, chat_id: int) -> Ward | None: ...
    async def update(self, ward: Ward) -> Ward: ...
    async def many(self, ward_ids: Sequence[int]) -> list[Ward]: ...
    async def with_group(self) -> list[Ward]: ...


class Members(Protocol):
    async def get(self, ward_id: int, user_id: int) -> Member | None: ...
    async def put(self, member: Member) -> Member: ...
    async def of_ward(self, ward_id: int) -> list[Member]: ...
    async def of_user(self, user_id: int) -> list[Member]: ...


class Invites(Protocol):
    async def add(self, invite: Invite) -> Invite: ...
    async def get(self, code: str) -> Invite | None: ...


class Users(Protocol):
    async def get(self, user_id: int) -> UserPrefs | None: ...
    async def put(self, prefs: UserPrefs) -> UserPrefs: ...


class Stays(Protocol):
    async def add(self, stay: Stay) -> Stay:
        """Insert; the id of the given stay is ignored and the stored one returned."""
        ...

    async def get(self, stay_id: int) -> Stay | None: ...
    # The stay, active or not, whose bedside sign QR holds this token.
    async def by_token(self, token: str) -> Stay | None: ...
    async def active_in_bed(self, ward_id: int, bed: str) -> Stay | None: ...
    async def active(self, ward_id: int) -> list[Stay]: ...
    async def ended_since(self, ward_id: int, since: datetime) -> list[Stay]: ...
    async def update(self, stay: Stay) -> Stay: ...


class Surgeries(Protocol):
    async def add(self, surgery: Surgery) -> Surgery: ...
    async def update(self, surgery: Surgery) -> Surgery: ...
    async def of_stays(self, stay_ids: Sequence[int]) -> list[Surgery]: ...


class BoardItems(Protocol):
    async def add(self, item: BoardItem) -> BoardItem: ...
    async def of_stays_between(
        self, stay_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[BoardItem]: ...


class AuditLog(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def of_ward(self, ward_id: int, limit: int = 50) -> list[AuditEntry]: ...


class PatientTags(Protocol):
    async def add(self, tag: PatientTag) -> PatientTag:
        """Insert; the id is ignored. A second present tag of one code on one stay is a
        Conflict (two nurses tagging at once)."""
        ...

    async def update(self, tag: PatientTag) -> PatientTag: ...
    async def present(self, stay_ids: Sequence[int]) -> list[PatientTag]:
        """Tags not removed, of these stays, in the order they were added."""
        ...


class PatientLines(Protocol):
    async def add(self, line: PatientLine) -> PatientLine:
        """Insert; the id is ignored and the stored one returned."""
        ...

    async def update(self, line: PatientLine) -> PatientLine: ...
    async def of_stays(self, stay_ids: Sequence[int]) -> list[PatientLine]:
        """Every line of these stays, removed ones too, in the order recorded (by id)."""
        ...


class WardTags(Protocol):
    async def of_ward(self, ward_id: int) -> list[WardTagSetting]:
        """The ward's settings, oldest first."""
        ...

    async def put(self, setting: WardTagSetting) -> WardTagSetting:
        """Insert or replace the setting of this code in this ward."""
        ...


class BedSigns(Protocol):
    async def of_stays(self, stay_ids: Sequence[int]) -> list[SignPrint]: ...
    async def put(self, sign: SignPrint) -> SignPrint:
        """Insert or replace the last print of this stay's sign."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything a command changes commits together or not at all."""

    wards: Wards
    members: Members
    invites: Invites
    users: Users
    stays: Stays
    surgeries: Surgeries
    items: BoardItems
    audit: AuditLog
    tags: PatientTags
    lines: PatientLines
    ward_tags: WardTags
    signs: BedSigns

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

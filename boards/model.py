"""Ward entities: plain frozen dataclasses shared by services, storage and renderers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Age",
    "AuditEntry",
    "BoardItem",
    "Critical",
    "Invite",
    "ItemKind",
    "Member",
    "MemberStatus",
    "NursingLevel",
    "PatientLine",
    "PatientTag",
    "Role",
    "Sex",
    "SignPrint",
    "Stay",
    "StayStatus",
    "Surgery",
    "SurgeryState",
    "UserPrefs",
    "Ward",
    "WardTagSetting",
]


class Role(enum.StrEnum):
    HEAD = "head"
    NURSE = "nurse"


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    REMOVED = "removed"


class Sex(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"


class NursingLevel(enum.StrEnum):
    SPECIAL = "special"
    ONE = "1"
    TWO = "2"
    THREE = "3"


class Critical(enum.StrEnum):
    """病危 (critical) outranks 病重 (seriously ill)."""

    CRITICAL = "critical"
    SERIOUS = "serious"


class StayStatus(enum.StrEnum):
    ACTIVE = "active"
    DISCHARGED = "discharged"
    TRANSFERRED = "transferred"


class SurgeryState(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_THEATRE = "in_theatre"
    BACK = "back"
    CANCELLED = "cancelled"


class ItemKind(enum.StrEnum):
    OPERATION = "op"
    EXAM = "exam"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Age:
    """An age as wards write it: years, or months / days for infants."""

    value: int
    unit: str = "y"  # "y", "m" or "d"

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"

    @classmethod
    def parse_stored(cls, text: str) -> Age:
        return cls(int(text[:-1]), text[-1])


@dataclass(frozen=True, slots=True)
class Ward:
    id: int
    name: str
    timezone: str
    locale: str
    created_at: datetime
    bed_count: int | None = None
    group_chat_id: int | None = None
    board_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Member:
    ward_id: int
    user_id: int
    display_name: str
    role: Role
    status: MemberStatus
    updated_at: datetime

    @property
    def approved(self) -> bool:
        return self.status is MemberStatus.APPROVED

    @property
    def is_head(self) -> bool:
        return self.approved and self.role is Role.HEAD


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    ward_id: int
    created_by: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class UserPrefs:
    user_id: int
    current_ward_id: int | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Stay:
    """One admission of one patient to one bed of one ward."""

    id: int
    ward_id: int
    bed: str
    name: str
    sex: Sex
    age: Age
    diagnosis: str | None
    level: NursingLevel | None
    admitted_at: datetime
    token: str
    status: StayStatus = StayStatus.ACTIVE
    ended_at: datetime | None = None
    critical: Critical | None = None
    transferred_from: str | None = None
    transferred_to: str | None = None

    @property
    def active(self) -> bool:
        return self.status is StayStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Surgery:
    id: int
    stay_id: int
    scheduled_at: datetime
    procedure: str
    state: SurgeryState
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BoardItem:
    """A special operation, an off-ward examination or a note on the board."""

    id: int
    stay_id: int
    kind: ItemKind
    at: datetime
    text: str
    created_by: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    ward_id: int | None
    actor_id: int
    at: datetime
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    id: int | None = field(default=None, compare=False)


# --- bedside: warning tags, lines, printed signs ------------------------------------------


@dataclass(frozen=True, slots=True)
class PatientTag:
    """A warning tag (警示标识) on a stay. `code` names a TagKind of the ward's catalogue.

    Removing a tag keeps its row (removed_at set): "was the fall tag up when she fell?"
    must be answerable afterwards.
    """

    id: int
    stay_id: int
    code: str
    detail: str | None
    added_at: datetime
    added_by: int
    removed_at: datetime | None = None
    removed_by: int | None = None

    @property
    def present(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True, slots=True)
class PatientLine:
    """A line, tube or drain (导管) in place on a stay; `code` names a LineKind.

    `inserted_at` is when it went in (often before admission: ED, theatre); removal keeps
    the row, so dwell times and device-days can be reviewed later.
    """

    id: int
    stay_id: int
    code: str
    site: str | None
    inserted_at: datetime
    purpose: str | None
    added_by: int
    removed_at: datetime | None = None
    removed_by: int | None = None

    @property
    def present(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True, slots=True)
class WardTagSetting:
    """A ward's choice about one tag kind: a default kind switched off (enabled False, no
    names), or a kind the ward added itself (names, colour and badges all set)."""

    ward_id: int
    code: str
    enabled: bool
    created_at: datetime
    name_zh: str | None = None
    name_en: str | None = None
    colour: str | None = None
    badge_zh: str | None = None
    badge_en: str | None = None
    has_detail: bool = False

    @property
    def custom(self) -> bool:
        return self.name_zh is not None


@dataclass(frozen=True, slots=True)
class SignPrint:
    """The last bedside sign printed for a stay: when, by whom, and a fingerprint of what
    it showed, so the board can tell when the sign on the bed no longer matches."""

    stay_id: int
    printed_at: datetime
    printed_by: int
    fingerprint: str

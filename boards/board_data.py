"""What the whiteboard shows, as plain data: today's stays, bedside state, reminders, census."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from boards.lines import LineKind
from boards.model import (
    BoardItem,
    Critical,
    NursingLevel,
    PatientLine,
    PatientTag,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    Ward,
)
from boards.tags import TagKind

__all__ = [
    "ALLERGY_TAG",
    "BedsideInfo",
    "BedsideLine",
    "BedsideTag",
    "BoardData",
    "Census",
    "ReminderSummary",
    "SignStatus",
    "TransferLine",
    "admitted_today",
    "census",
    "day_bounds",
    "post_op_day",
]

# The tag whose detail is the allergens: the card and the sign show it in a box of its own.
ALLERGY_TAG = "allergy"


@dataclass(frozen=True, slots=True)
class ReminderSummary:
    """The whiteboard's reminder area: the next slot, and what is due or overdue now."""

    next_slot: datetime | None
    next_count: int
    due_count: int
    overdue_count: int


class SignStatus(enum.StrEnum):
    """Whether the sign on the bed shows what the ward knows now."""

    MISSING = "missing"  # never printed for this stay
    CURRENT = "current"
    OUTDATED = "outdated"  # printed, but something it shows has changed since


@dataclass(frozen=True, slots=True)
class BedsideTag:
    kind: TagKind
    tag: PatientTag


@dataclass(frozen=True, slots=True)
class BedsideLine:
    """A present line with its card number (stable for the stay: see `bedside.remove_line`)."""

    number: int
    kind: LineKind
    line: PatientLine
    dwell_day: int  # 留置第N天, the insertion day being day 1
    overdue: bool
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class BedsideInfo:
    """One stay's present tags (catalogue order) and lines (by number), and its sign.

    Tag details hold allergens: fine for the card and the sign, never for a group message.
    """

    stay_id: int
    tags: tuple[BedsideTag, ...]
    lines: tuple[BedsideLine, ...]
    sign: SignStatus
    printed_at: datetime | None
    fingerprint: str

    @property
    def needs_reprint(self) -> bool:
        """The board's 需重新打印床头卡: a sign was printed and no longer matches."""
        return self.sign is SignStatus.OUTDATED

    @property
    def allergies(self) -> str | None:
        for t in self.tags:
            if t.kind.code == ALLERGY_TAG:
                return t.tag.detail
        return None


@dataclass(frozen=True, slots=True)
class BoardData:
    """Everything the board shows, loaded in one go by a service."""

    ward: Ward
    now: datetime
    active: tuple[Stay, ...]
    ended_today: tuple[Stay, ...]
    surgeries: tuple[Surgery, ...]
    items_today: tuple[BoardItem, ...]
    # Warning tags, lines and sign state per stay id (absent: nothing recorded).
    bedside: Mapping[int, BedsideInfo] = field(default_factory=dict)
    # The reminder area: next slot, due and overdue counts (absent: no reminders).
    reminders: ReminderSummary | None = None
    # Free text (notes, operations, exams, procedures) in the group copy: the ward's choice.
    group_notes: bool = True
    # Patients offered to this ward (待接收) and patients this ward offered (转出中).
    arrivals: tuple[TransferLine, ...] = ()
    outgoing: tuple[TransferLine, ...] = ()
    # Open tasks past the escalation window per stay id (absent: none): the bed's overdue mark.
    overdue_tasks: Mapping[int, int] = field(default_factory=dict)
    # Safety days (boards.quality): (event type code, days without one), the ward's choice.
    safety: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class TransferLine:
    """A pending transfer as a board shows it: the bed, the patient, the other ward."""

    bed: str
    name: str
    ward: str


@dataclass(frozen=True, slots=True)
class Census:
    start: int
    admitted: int
    discharged: int
    transferred_in: int
    transferred_out: int
    current: int
    critical: int
    serious: int
    surgeries: int
    levels: dict[NursingLevel, int]


def day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the ward-local calendar day containing `now`."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def admitted_today(stays: Sequence[Stay], start: datetime) -> list[Stay]:
    """The stays that began on the ward day starting at `start` (admitted or moved in)."""
    return [s for s in stays if s.admitted_at >= start]


def census(data: BoardData) -> Census:
    tz = ZoneInfo(data.ward.timezone)
    start, end = day_bounds(data.now, tz)
    everyone = (*data.active, *data.ended_today)
    arrived = admitted_today(everyone, start)
    admitted = sum(1 for s in arrived if s.transferred_from is None)
    moved_in = len(arrived) - admitted
    discharged = sum(1 for s in data.ended_today if s.status is StayStatus.DISCHARGED)
    moved_out = sum(1 for s in data.ended_today if s.status is StayStatus.TRANSFERRED)
    current = len(data.active)
    levels = {level: 0 for level in NursingLevel}
    for stay in data.active:
        if stay.level is not None:
            levels[stay.level] += 1
    return Census(
        start=current - admitted - moved_in + discharged + moved_out,
        admitted=admitted,
        discharged=discharged,
        transferred_in=moved_in,
        transferred_out=moved_out,
        current=current,
        critical=sum(1 for s in data.active if s.critical is Critical.CRITICAL),
        serious=sum(1 for s in data.active if s.critical is Critical.SERIOUS),
        surgeries=sum(
            1
            for op in data.surgeries
            if op.state is not SurgeryState.CANCELLED and start <= op.scheduled_at < end
        ),
        levels=levels,
    )


def post_op_day(surgery: Surgery, now: datetime, tz: ZoneInfo) -> int | None:
    """Days since the operation (0 on the day itself), once the patient has gone to theatre."""
    if surgery.state not in (SurgeryState.IN_THEATRE, SurgeryState.BACK):
        return None
    days = (now.astimezone(tz).date() - surgery.scheduled_at.astimezone(tz).date()).days
    return days if days >= 0 else None

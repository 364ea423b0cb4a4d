"""The quality loop's entities: adverse events, quality settings, checks, problems, task facts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from boards.model import TaskKind, TaskStatus

__all__ = [
    "QC_DOMAINS",
    "QC_MAX_SCORE",
    "AdverseEvent",
    "EventStatus",
    "EventType",
    "QcProblem",
    "QualityCheck",
    "QualitySettings",
    "Severity",
    "TaskFact",
]


# --- the quality loop: adverse events and the ward's quality settings ----------------------


class EventType(enum.StrEnum):
    """The adverse events and near misses a ward records (跌倒 ... 其他)."""

    FALL = "fall"
    BED_FALL = "bed_fall"
    PRESSURE_INJURY = "pressure_injury"
    UNPLANNED_REMOVAL = "unplanned_removal"
    MEDICATION_ERROR = "medication_error"
    EXTRAVASATION = "extravasation"
    OTHER = "other"


class Severity(enum.StrEnum):
    """How much harm: none (a near miss or no harm), minor, moderate, severe."""

    NONE = "none"
    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"


class EventStatus(enum.StrEnum):
    """Events are never deleted: a head nurse corrects one or retracts it (audited)."""

    ACTIVE = "active"
    CORRECTED = "corrected"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One recorded event: where (ward, stay, bed), what, when, by whom; `line_id` names
    the line of an unplanned removal. The history of corrections is in the audit log."""

    id: int
    ward_id: int
    stay_id: int
    bed: str
    type: EventType
    severity: Severity
    details: str | None
    occurred_at: datetime
    reported_by: int
    reported_at: datetime
    line_id: int | None = None
    status: EventStatus = EventStatus.ACTIVE

    @property
    def counts(self) -> bool:
        return self.status is not EventStatus.RETRACTED


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """A ward's quality choices: which event types the board counts safety days for, who
    besides the head nurse runs quality checks, and the categories of problems found."""

    ward_id: int
    safety_types: tuple[EventType, ...] = (EventType.FALL, EventType.BED_FALL)
    qc_members: tuple[int, ...] = ()
    qc_categories: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: int | None = None


@dataclass(frozen=True, slots=True)
class TaskFact:
    """What the quality report reads of a task: when it was planned, sent, closed, by whom."""

    kind: TaskKind
    status: TaskStatus
    planned_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: int | None
    skip_reason: str | None
    sent_at: datetime | None
    escalated_at: datetime | None


# The five domains of the source practice's quality check, 20 points each.
QC_DOMAINS: tuple[str, ...] = ("grading", "specialty", "education", "safety", "service")
QC_MAX_SCORE = 20


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """One quality check (质控检查): the five domain scores, in QC_DOMAINS order."""

    id: int
    ward_id: int
    checked_at: datetime
    checked_by: int
    scores: tuple[int, ...]
    note: str | None = None

    @property
    def total(self) -> int:
        return sum(self.scores)


@dataclass(frozen=True, slots=True)
class QcProblem:
    """A problem a check found: its category (the ward's list), its owner, open until closed."""

    id: int
    ward_id: int
    check_id: int | None
    category: str
    description: str
    owner_id: int
    found_at: datetime
    found_by: int
    closed_at: datetime | None = None
    closed_by: int | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

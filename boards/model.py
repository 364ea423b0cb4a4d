"""Ward entities: plain frozen dataclasses shared by services, storage and renderers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from boards.schedule import Frequency, Route

__all__ = [
    "Age",
    "AuditEntry",
    "BoardItem",
    "Critical",
    "DialogueState",
    "GroupProblem",
    "Handover",
    "HisMessage",
    "ImportDraft",
    "Invite",
    "ItemKind",
    "MedicationOrder",
    "Member",
    "MemberStatus",
    "NursingLevel",
    "OpenTask",
    "Operator",
    "PatientLine",
    "PatientTag",
    "Reminder",
    "Role",
    "Sex",
    "SignPrint",
    "Stay",
    "StayStatus",
    "Surgery",
    "SurgeryState",
    "TaskKind",
    "TaskOccurrence",
    "TaskStatus",
    "Transfer",
    "TransferState",
    "UserPrefs",
    "Ward",
    "WardDisplay",
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


# What a discharged stay's name and free texts read once retention has anonymised them
# (no name is ever this: parse_name refuses a name without a letter).
ANONYMISED = "—"


class StayStatus(enum.StrEnum):
    ACTIVE = "active"
    DISCHARGED = "discharged"
    TRANSFERRED = "transferred"
    # The hospital system cancelled the admission (HL7 A11): the stay never happened, so
    # the board counts it neither as admitted nor as discharged.
    CANCELLED = "cancelled"


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


class GroupProblem(enum.StrEnum):
    """What keeps the ward group from working (Ward.group_problem holds the value)."""

    # The bot cannot post there (removed, left, not allowed to send): nothing is sent.
    REMOVED = "removed"
    # The bot posts but cannot pin the board: everything goes out, the board is not on top.
    NO_PIN = "no_pin"


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
    # Why the ward group cannot be reached ("removed", "no_pin"...), since when: the head
    # nurse is told once, and the board and reminders recover when the group is back.
    group_problem: str | None = None
    group_problem_since: datetime | None = None
    # The hospital system's code of this ward's point of care (HL7 PV1-3.1), unique.
    his_code: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    ward_id: int
    user_id: int
    display_name: str
    role: Role
    status: MemberStatus
    updated_at: datetime
    # The @username at the time of the request: a display name alone can be copied.
    username: str | None = None

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
    # Single use unless the head nurse asks for more; revoked with /invite off.
    max_uses: int = 1
    uses: int = 0
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.uses < self.max_uses and now < self.expires_at


@dataclass(frozen=True, slots=True)
class UserPrefs:
    user_id: int
    current_ward_id: int | None = None
    locale: str | None = None
    # When the nurse was told that notes are seen by the whole ward group (told once).
    notes_warned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportDraft:
    """A census import in progress, kept in the database so that any bot instance takes the
    nurse's next step: after /import, the ward waiting for her file (`cells` None); after the
    preview, the file's cells and a digest of what the preview showed, until she confirms."""

    key: str
    user_id: int
    ward_id: int
    at: datetime
    source: str = ""
    cells: tuple[tuple[str, ...], ...] | None = None
    digest: str = ""


@dataclass(frozen=True, slots=True)
class DialogueState:
    """A guided command in progress in one private chat, kept in the database so that any
    bot instance takes the next answer: the command, its ward, the answers so far, and per
    bed answered the stay that was in it."""

    chat_id: int
    command: str
    ward_id: int
    args: tuple[str, ...]
    index: int
    expected: tuple[tuple[str, int], ...]
    touched_at: datetime


@dataclass(frozen=True, slots=True)
class Operator:
    """A hospital operator: creates wards and names head nurses (WARDBOARD_ADMINS too)."""

    user_id: int
    added_at: datetime
    added_by: int | None = None
    note: str | None = None


class TransferState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer offered by one ward to another: the patient moves only once accepted."""

    id: int
    stay_id: int
    from_ward_id: int
    to_ward_id: int
    bed_wanted: str | None
    state: TransferState
    requested_by: int
    requested_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    new_stay_id: int | None = None

    @property
    def pending(self) -> bool:
        return self.state is TransferState.PENDING


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
    # The hospital's identifiers: 住院号 / MRN (HL7 PID-3) and the visit number (PV1-19).
    # Imports and the HL7 feed match on them, never on names; shown in private only.
    admission_no: str | None = None
    visit_no: str | None = None

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


# --- medication orders, reminders and the tasks they generate ------------------------------


@dataclass(frozen=True, slots=True)
class MedicationOrder:
    """A standing or one-time medication order (医嘱) on a stay: what, how much, how, how often.

    `stop_at` is the stop the order was written with; `stopped_at` is when a nurse stopped it
    (/stopmed). Doses are due in [start_at, the earlier of the two); stopping keeps the row.
    """

    id: int
    stay_id: int
    drug: str
    dose: str
    route: Route
    freq: Frequency
    start_at: datetime
    stop_at: datetime | None
    created_at: datetime
    created_by: int
    stopped_at: datetime | None = None
    stopped_by: int | None = None

    @property
    def ends_at(self) -> datetime | None:
        """When doses stop: the written stop or the stop by a nurse, whichever is first."""
        ends = [t for t in (self.stop_at, self.stopped_at) if t is not None]
        return min(ends) if ends else None

    def active(self, now: datetime) -> bool:
        ends = self.ends_at
        return ends is None or ends > now


@dataclass(frozen=True, slots=True)
class Reminder:
    """A nurse's own reminder on a stay (/remind): once at `due_at`, or every day at the
    ward-local clock time `daily_at` from `due_at` (its first time) until stopped."""

    id: int
    stay_id: int
    text: str
    due_at: datetime
    created_at: datetime
    created_by: int
    daily_at: time | None = None
    stopped_at: datetime | None = None
    stopped_by: int | None = None

    @property
    def repeating(self) -> bool:
        return self.daily_at is not None

    def active(self, now: datetime) -> bool:
        if self.stopped_at is not None and self.stopped_at <= now:
            return False
        return self.repeating or self.due_at >= now


class TaskKind(enum.StrEnum):
    MED = "med"
    LINE_CARE = "line_care"
    REMINDER = "reminder"


class TaskStatus(enum.StrEnum):
    """待执行 / 已执行 / 未执行(原因) / 已取消: every task ends in one of the last three."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OpenTask:
    """What the board needs of an open task: whose, when due, and whether its overdue
    notice went out (the reminder area and the beds' overdue marks)."""

    stay_id: int
    due_at: datetime
    escalated_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskOccurrence:
    """One materialised task: a dose, a line-care step or a reminder, due at one time.

    `source_id` is the order, line or reminder id; `rule_code` names the line-care rule
    ("" for the others). `planned_at` is the time the schedule gave and never changes;
    `due_at` starts equal to it and moves only by a snooze; `remind_at` is when the
    reminder goes out (due minus the ward's lead). `done_at`/`done_by` record the actual
    time of a done or skipped task. Delivery: `sent_at` and the message it went out in;
    `lease_owner`/`lease_until` while a sender holds it; `late` when it was claimed well
    after it fell due (downtime), `escalated_at` once its one overdue notice went out.
    """

    id: int
    ward_id: int
    stay_id: int
    kind: TaskKind
    source_id: int
    rule_code: str
    planned_at: datetime
    due_at: datetime
    remind_at: datetime
    text: str
    created_at: datetime
    status: TaskStatus = TaskStatus.PENDING
    done_at: datetime | None = None
    done_by: int | None = None
    skip_reason: str | None = None
    cancelled_at: datetime | None = None
    sent_at: datetime | None = None
    message_chat_id: int | None = None
    message_id: int | None = None
    escalated_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    late: bool = False

    @property
    def pending(self) -> bool:
        return self.status is TaskStatus.PENDING

    @property
    def snoozed(self) -> bool:
        return self.due_at != self.planned_at


@dataclass(frozen=True, slots=True)
class WardDisplay:
    """The ward's station-screen link: a random seed (the link is derived from it with the
    server's secret, so a copy of the database alone opens no screen), the hash the server
    looks a link up by, and whether the screen shows full names."""

    ward_id: int
    seed: str | None  # None: the link is revoked (/display off)
    token_hash: str | None
    names_full: bool
    rotated_at: datetime | None
    updated_at: datetime
    updated_by: int


# --- the shift handover ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Handover:
    """The handover (交班) posted to the ward group when the shift [shift_start, shift_end)
    ended: one per ward and shift, whichever bot instance posts it.

    `claimed_by`/`claimed_until` while an instance is posting it (a lease, as for tasks);
    `message_ids` once posted (a long report is several messages, the last one carries
    the 接班 button); `handed_over_by` the nurse who last acted in the shift; then who took
    it over and when, and when the head nurse was reminded that nobody had.
    """

    id: int
    ward_id: int
    shift_code: str
    shift_start: datetime
    shift_end: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    chat_id: int | None = None
    message_ids: tuple[int, ...] = ()
    posted_at: datetime | None = None
    handed_over_by: int | None = None
    taken_over_by: int | None = None
    taken_at: datetime | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HisMessage:
    """An HL7 message received from the hospital system: applied once, acknowledged each time.

    `control_id` is MSH-10; `event` the trigger ("A01"...); `ack_code` "AA", "AE" or "AR"
    with `ack_text` saying why it was not applied.
    """

    control_id: str
    ward_id: int | None
    received_at: datetime
    event: str
    ack_code: str
    ack_text: str | None = None
    id: int | None = field(default=None, compare=False)

"""Ports the domain needs: repositories, unit of work and clock, implemented elsewhere."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from boards.model import (
    AuditEntry,
    BoardItem,
    DialogueState,
    Handover,
    HisMessage,
    ImportDraft,
    Invite,
    MedicationOrder,
    Member,
    OpenTask,
    Operator,
    PatientLine,
    PatientTag,
    Reminder,
    SignPrint,
    Stay,
    Surgery,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Transfer,
    TransferState,
    UserPrefs,
    Ward,
    WardDisplay,
    WardTagSetting,
)
from boards.quality_ports import AdverseEvents, QualityChecks, QualityFacts, QualitySettingsStore

__all__ = [
    "AdverseEvents",
    "AuditLog",
    "BedSigns",
    "BoardItems",
    "Clock",
    "Dialogues",
    "Handovers",
    "HisMessages",
    "ImportDrafts",
    "Invites",
    "MedicationOrders",
    "Members",
    "Operators",
    "PatientLines",
    "PatientTags",
    "QualityChecks",
    "QualityFacts",
    "QualitySettingsStore",
    "Reminders",
    "Stays",
    "Surgeries",
    "TaskOccurrences",
    "Transfers",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Users",
    "WardDisplays",
    "WardPolicies",
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
    async def all(self) -> list[Ward]: ...
    async def with_group(self) -> list[Ward]: ...
    async def by_his_code(self, code: str) -> Ward | None:
        """The ward mapped to this HIS point-of-care code (HL7 PV1-3.1)."""
        ...

    async def set_his_code(self, ward_id: int, code: str | None) -> Ward:
        """Map the ward to a HIS code (None unmaps); a code another ward holds raises Conflict."""
        ...

    async def lease_board(
        self, ward_id: int, owner: str, *, now: datetime, until: datetime
    ) -> bool:
        """Whether `owner` (one bot instance) now posts the ward's board, until `until`:
        refused while another owner's lease runs."""
        ...

    async def release_board(self, ward_id: int, owner: str) -> None: ...

    async def claim_retention_day(self, ward_id: int, day: date) -> bool:
        """Whether the ward's retention of its local `day` is the caller's to apply: true
        once a ward and day, whichever instance asks first (taken back if the caller's
        transaction rolls back; commit it at once, as it holds the ward's row)."""
        ...


class Members(Protocol):
    async def get(self, ward_id: int, user_id: int) -> Member | None: ...
    async def put(self, member: Member) -> Member: ...
    async def of_ward(self, ward_id: int) -> list[Member]: ...
    async def of_user(self, user_id: int) -> list[Member]: ...


class Invites(Protocol):
    async def add(self, invite: Invite) -> Invite: ...
    async def get(self, code: str) -> Invite | None: ...
    async def of_ward(self, ward_id: int) -> list[Invite]: ...
    async def use(self, code: str) -> Invite | None:
        """Count one use, atomically, if one is left; None when none is."""
        ...

    async def revoke_all(self, ward_id: int, *, at: datetime) -> int: ...


class Operators(Protocol):
    async def all(self) -> list[Operator]: ...
    async def get(self, user_id: int) -> Operator | None: ...
    async def add(self, operator: Operator) -> Operator: ...
    async def remove(self, user_id: int) -> bool: ...


class Dialogues(Protocol):
    async def get(self, chat_id: int) -> DialogueState | None: ...
    async def put(self, state: DialogueState) -> None: ...
    async def delete(self, chat_id: int) -> None: ...


class ImportDrafts(Protocol):
    async def get(self, key: str) -> ImportDraft | None: ...

    async def put(self, draft: ImportDraft) -> None:
        """Kept under its key; one of the same key is replaced."""
        ...

    async def take(self, key: str) -> ImportDraft | None:
        """Removed and returned: of two instances taking one key, one gets it."""
        ...

    async def expire(self, before: datetime) -> int:
        """Those started before the cut-off removed; how many."""
        ...


class Retention(Protocol):
    async def expired(
        self, ward_id: int, *, ended_before: datetime, limit: int | None = None
    ) -> list[int]:
        """Ended stays of the ward still holding personal data, ended before the cut-off
        (the `limit` first by id when given)."""
        ...

    async def anonymise(self, ward_id: int, stay_ids: Sequence[int]) -> int:
        """Their names, diagnoses, identifiers and free texts replaced; how many stays."""
        ...


class Transfers(Protocol):
    async def add(self, transfer: Transfer) -> Transfer: ...
    async def get(self, transfer_id: int) -> Transfer | None: ...
    async def decide(
        self,
        transfer_id: int,
        *,
        state: TransferState,
        by: int,
        at: datetime,
        new_stay_id: int | None = None,
    ) -> Transfer | None:
        """Close a pending offer once; None when it was already decided."""
        ...

    async def pending_to(self, ward_id: int) -> list[Transfer]: ...
    async def pending_from(self, ward_id: int) -> list[Transfer]: ...
    async def pending_of(self, ward_id: int) -> list[Transfer]:
        """Pending offers both ways, to and from the ward (the board shows both), by id."""
        ...


class Users(Protocol):
    async def get(
        self, user_id: int, *, chat_id: int | None = None, memberships: bool = False
    ) -> UserPrefs | None:
        """Her preferences; with `chat_id`, that chat's dialogue is read in the same
        statement (every update asks for both), for `Dialogues.get` to answer; with
        `memberships` too, her memberships and their wards (her own chat's commands ask
        for them next), for `Members.of_user` and `get` and `Wards.get` to answer."""
        ...

    async def put(self, prefs: UserPrefs) -> UserPrefs: ...


class Stays(Protocol):
    async def add(self, stay: Stay) -> Stay:
        """Insert; the id of the given stay is ignored and the stored one returned."""
        ...

    async def get(self, stay_id: int) -> Stay | None: ...
    async def many(self, stay_ids: Sequence[int]) -> list[Stay]:
        """The stays asked for that exist, by id (one query, not one per stay)."""
        ...

    # The stay, active or not, whose bedside sign QR holds this token.
    async def by_token(self, token: str) -> Stay | None: ...
    async def active_in_bed(self, ward_id: int, bed: str) -> Stay | None: ...
    async def active(self, ward_id: int) -> list[Stay]: ...
    async def ended_since(self, ward_id: int, since: datetime) -> list[Stay]: ...
    async def on_board(self, ward_id: int, since: datetime) -> tuple[list[Stay], list[Stay]]:
        """`active` and `ended_since` in one read: every board asks for both."""
        ...

    async def overlapping(self, ward_id: int, start: datetime, end: datetime) -> list[Stay]:
        """Stays of the ward present at some time in [start, end): admitted before `end`,
        not ended before `start`; by id."""
        ...

    async def update(self, stay: Stay) -> Stay: ...
    async def active_by_admission(self, ward_id: int, admission_no: str) -> Stay | None:
        """The ward's active stay with this admission number (住院号 / MRN)."""
        ...

    async def by_admission(self, admission_no: str) -> list[Stay]:
        """Every stay (any ward, any status) with this admission number, newest first."""
        ...

    async def active_with_wards(self, admission_no: str) -> list[tuple[Stay, Ward]]:
        """The active stays (any ward) with this admission number, each with its ward,
        newest first: one query where the hospital's feed matches a patient."""
        ...

    async def active_by_admission_or_bed(
        self, ward_id: int, admission_no: str, bed: str
    ) -> list[Stay]:
        """The ward's active stays with this admission number or in this bed (two at most):
        one query where the feed admits."""
        ...


class HisMessages(Protocol):
    async def get(self, control_id: str) -> HisMessage | None:
        """The message with this control id (MSH-10) if it was recorded."""
        ...

    async def add(self, message: HisMessage) -> HisMessage:
        """Record a message; the same control id twice raises Conflict."""
        ...


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
    async def by_hand_since(self, ward_id: int, target: str, since: datetime) -> bool:
        """Whether anyone but the hospital system (actor 0) changed `target` since then."""
        ...


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


class MedicationOrders(Protocol):
    async def add(self, order: MedicationOrder) -> MedicationOrder:
        """Insert; the id is ignored and the stored one returned."""
        ...

    async def get(self, order_id: int) -> MedicationOrder | None: ...
    async def update(self, order: MedicationOrder) -> MedicationOrder: ...
    async def of_stays(self, stay_ids: Sequence[int]) -> list[MedicationOrder]:
        """Every order of these stays, stopped ones too, in the order recorded (by id)."""
        ...


class Reminders(Protocol):
    async def add(self, reminder: Reminder) -> Reminder:
        """Insert; the id is ignored and the stored one returned."""
        ...

    async def get(self, reminder_id: int) -> Reminder | None: ...
    async def update(self, reminder: Reminder) -> Reminder: ...
    async def of_stays(self, stay_ids: Sequence[int]) -> list[Reminder]:
        """Every reminder of these stays, stopped ones too, in the order recorded (by id)."""
        ...


class WardPolicies(Protocol):
    async def get(self, ward_id: int) -> dict[str, Any] | None:
        """The ward's policy document (WardPolicy.to_dict()), None when never set."""
        ...

    async def put(
        self, ward_id: int, document: Mapping[str, Any], *, at: datetime, by: int
    ) -> None:
        """Insert or replace the ward's policy document."""
        ...


class WardDisplays(Protocol):
    async def get(self, ward_id: int) -> WardDisplay | None: ...
    async def by_token_hash(self, token_hash: str) -> WardDisplay | None: ...
    async def put(self, display: WardDisplay) -> None:
        """Insert or replace the ward's screen settings."""
        ...


class TaskOccurrences(Protocol):
    """Materialised tasks and their delivery records (see boards.tasks)."""

    async def lock_ward(self, ward_id: int) -> None:
        """Hold the ward's task lock until the transaction ends: whatever generates, stops
        or rewrites a ward's tasks takes it first, so two bot instances never interleave."""
        ...

    async def add_missing(self, tasks: Sequence[TaskOccurrence]) -> int:
        """Insert each task unless one of the same kind, source, rule and planned time is
        there and not cancelled; ids are ignored. Returns how many went in. Never refuses:
        two instances materialising at once both succeed, with one row each."""
        ...

    async def get(self, task_id: int) -> TaskOccurrence | None: ...
    async def many(self, task_ids: Sequence[int]) -> list[TaskOccurrence]:
        """The tasks asked for that exist, by id."""
        ...

    async def pending_of_sources(
        self, kind: TaskKind, source_ids: Sequence[int]
    ) -> list[TaskOccurrence]:
        """Pending tasks of these orders, lines or reminders, by planned time."""
        ...

    async def of_stays(self, stay_ids: Sequence[int]) -> list[TaskOccurrence]:
        """Every task of these stays, whatever its state, by planned time (the record a
        review reads: each dose done, skipped with its reason, or cancelled)."""
        ...

    async def pending_of_stays(self, stay_ids: Sequence[int]) -> list[TaskOccurrence]:
        """Pending tasks of these stays, by planned time."""
        ...

    async def open_of_ward(self, ward_id: int, *, due_before: datetime) -> list[TaskOccurrence]:
        """The ward's pending tasks due before `due_before`, by due time."""
        ...

    async def open_due_of_ward(self, ward_id: int, *, due_before: datetime) -> list[OpenTask]:
        """`open_of_ward` with only what the board shows of each task (three columns of
        twenty-three: read for every board)."""
        ...

    async def cancel(self, task_ids: Sequence[int], *, at: datetime) -> list[TaskOccurrence]:
        """Cancel those of these tasks still pending; returns the ones cancelled."""
        ...

    async def close(
        self,
        task_id: int,
        *,
        status: TaskStatus,
        at: datetime,
        by: int,
        reason: str | None,
    ) -> TaskOccurrence | None:
        """Mark a pending task done or skipped; None (nothing changed) if not pending."""
        ...

    async def snooze(self, task_id: int, *, due_at: datetime) -> TaskOccurrence | None:
        """Give a pending task a new due (and reminder) time and send it again then; None
        (nothing changed) if it is not pending. The planned time stays, and so does its
        message until it is sent again (its row there shows the new time)."""
        ...

    async def set_remind_at(self, changes: Mapping[int, datetime]) -> None:
        """New reminder times for tasks still pending and unsent (a changed lead)."""
        ...

    async def horizons(self, kind: TaskKind, source_ids: Sequence[int]) -> dict[int, datetime]:
        """How far each source's tasks are materialised (sources never materialised are
        absent)."""
        ...

    async def set_horizons(self, kind: TaskKind, until: Mapping[int, datetime]) -> None: ...

    async def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        late_before: datetime,
        limit: int,
    ) -> list[TaskOccurrence]:
        """Lease up to `limit` tasks to `owner`: pending, unsent, reminder time reached,
        lease free or expired, stay still active, line (for line care) not removed before
        the planned time, ward bound to a group (somewhere to send them). Tasks due
        before `late_before` are flagged late. Concurrent claimers never get the same
        task. By reminder time, then id."""
        ...

    async def mark_sent(
        self, task_ids: Sequence[int], *, owner: str, chat_id: int, message_id: int, at: datetime
    ) -> list[int]:
        """Record delivery of those tasks `owner` still holds the lease of; returns their ids."""
        ...

    async def release(self, task_ids: Sequence[int], *, owner: str) -> list[int]:
        """Give back unsent tasks `owner` holds, for the next claim; returns their ids."""
        ...

    async def of_message(self, chat_id: int, message_id: int) -> list[TaskOccurrence]:
        """The tasks this reminder message carries (as `mark_sent` recorded them, whatever
        their state now), by planned time, stay, kind, rule and id."""
        ...

    async def escalation_candidates(
        self, *, due_before: datetime, limit: int
    ) -> list[TaskOccurrence]:
        """Pending, sent, not yet escalated tasks of active stays due before `due_before`."""
        ...

    async def mark_escalated(self, task_ids: Sequence[int], *, at: datetime) -> list[int]:
        """Set escalated_at where it is still unset; returns the ids this call marked."""
        ...

    async def ward_ids(self) -> list[int]:
        """Wards with at least one active stay, by id."""
        ...


class Handovers(Protocol):
    """Shift handovers posted to ward groups (see boards.handover)."""

    async def claim(
        self,
        *,
        ward_id: int,
        shift_code: str,
        shift_start: datetime,
        shift_end: datetime,
        owner: str,
        now: datetime,
        lease_until: datetime,
    ) -> Handover | None:
        """Take the right to post this ward's handover of the shift starting at
        `shift_start`: the row is created, or taken over when its poster's lease ran out
        before it was posted. None when it is posted or another instance holds it."""
        ...

    async def mark_posted(
        self,
        handover_id: int,
        *,
        owner: str,
        chat_id: int,
        message_ids: Sequence[int],
        at: datetime,
        handed_over_by: int | None,
    ) -> bool:
        """Record the messages sent, if `owner` still holds the lease."""
        ...

    async def release(self, handover_id: int, *, owner: str) -> None:
        """Give up an unposted claim (the send failed): the next tick tries again."""
        ...

    async def get(self, handover_id: int) -> Handover | None: ...
    async def take_over(self, handover_id: int, *, by: int, at: datetime) -> Handover | None:
        """Record who took the handover over, once; None when it already was."""
        ...

    async def awaiting(self, *, posted_before: datetime) -> list[Handover]:
        """Posted before `posted_before`, not taken over, nobody reminded yet."""
        ...

    async def mark_reminded(self, handover_id: int, *, at: datetime) -> bool:
        """Set reminded_at where still unset; True for the one call that set it."""


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
    orders: MedicationOrders
    reminders: Reminders
    policies: WardPolicies
    tasks: TaskOccurrences
    operators: Operators
    transfers: Transfers
    retention: Retention
    dialogues: Dialogues
    imports: ImportDrafts

    displays: WardDisplays
    handovers: Handovers
    his_messages: HisMessages
    events: AdverseEvents
    quality: QualitySettingsStore
    facts: QualityFacts
    checks: QualityChecks

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def board_stamp(self, ward_id: int) -> Hashable | None:
        """The ward board's version as this transaction sees it, naming the database too:
        equal stamps, equal boards (at the same minute). None when unknown, or when this
        transaction has changed something (its changes are not yet everyone's)."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

"""The ward's own tables: wards, people, stays, board items, bedside, orders, tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models._base import (
    ACTIVE_ADMISSION_INDEX,
    ACTIVE_BED_INDEX,
    ACTIVE_VISIT_INDEX,
    PENDING_TRANSFER_INDEX,
    PRESENT_TAG_INDEX,
    TASK_CLAIM_INDEX,
    TASK_CLAIM_WARD_INDEX,
    TASK_ESCALATION_INDEX,
    TASK_SOURCE_INDEX,
    Base,
    UtcDateTime,
)

__all__ = [
    "AuditRow",
    "BedSignRow",
    "BoardItemRow",
    "BoardVersionRow",
    "InviteRow",
    "MedicationOrderRow",
    "MemberRow",
    "OperatorRow",
    "PatientLineRow",
    "PatientTagRow",
    "ReminderRow",
    "StayRow",
    "SurgeryRow",
    "TaskHorizonRow",
    "TaskOccurrenceRow",
    "TransferRow",
    "UserPrefsRow",
    "WardDisplayRow",
    "WardPolicyRow",
    "WardRow",
    "WardTagRow",
]


class WardRow(Base):
    __tablename__ = "wards"
    __table_args__ = (
        UniqueConstraint("name"),
        UniqueConstraint("group_chat_id"),
        UniqueConstraint("his_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    bed_count: Mapped[int | None] = mapped_column(Integer)
    # Telegram chat and user ids exceed 32 bits.
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    board_message_id: Mapped[int | None] = mapped_column(BigInteger)
    group_problem: Mapped[str | None] = mapped_column(String(32))
    group_problem_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The hospital system's code of the ward's point of care (HL7 PV1-3.1).
    his_code: Mapped[str | None] = mapped_column(String(32))
    # Which bot instance is posting the board right now, and until when (wall-clock time):
    # one at a time, so the last to post has read the latest state.
    board_lease_owner: Mapped[str | None] = mapped_column(String(64))
    board_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The ward's local day whose retention has been applied: one instance a day does it.
    retention_day: Mapped[date | None] = mapped_column(Date)


class BoardVersionRow(Base):
    """The version of a ward's board: kept by the database's own triggers (migration 0016),
    one more at every change of something the board shows; never written by the code."""

    __tablename__ = "board_versions"

    ward_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (Index(None, "user_id"),)

    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    username: Mapped[str | None] = mapped_column(String(64))


class InviteRow(Base):
    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    max_uses: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    uses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UserPrefsRow(Base):
    __tablename__ = "user_prefs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    current_ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    locale: Mapped[str | None] = mapped_column(String(16))
    notes_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OperatorRow(Base):
    __tablename__ = "operators"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(128))


class TransferRow(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        # One open offer per patient: a second /transfer waits for the first to be decided.
        Index(
            PENDING_TRANSFER_INDEX,
            "stay_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(None, "to_ward_id", "state"),
        Index(None, "from_ward_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    from_ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    to_ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    bed_wanted: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[int] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    new_stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"))


class StayRow(Base):
    __tablename__ = "stays"
    __table_args__ = (
        UniqueConstraint("token"),
        # Two active patients in one bed is the mix-up the board exists to prevent: the
        # database refuses it even if two nurses admit at the same moment.
        Index(
            ACTIVE_BED_INDEX,
            "ward_id",
            "bed",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(None, "ward_id", "ended_at"),
        # The active ones of a ward (every board): not a scan of all its years of stays.
        Index(None, "ward_id", "status"),
        # The hospital's identifiers name one active patient of a ward; any stay (also an
        # ended one, for a cancelled discharge) is found by them across wards.
        Index(
            ACTIVE_ADMISSION_INDEX,
            "ward_id",
            "admission_no",
            unique=True,
            sqlite_where=text("status = 'active' AND admission_no IS NOT NULL"),
            postgresql_where=text("status = 'active' AND admission_no IS NOT NULL"),
        ),
        Index(
            ACTIVE_VISIT_INDEX,
            "ward_id",
            "visit_no",
            unique=True,
            sqlite_where=text("status = 'active' AND visit_no IS NOT NULL"),
            postgresql_where=text("status = 'active' AND visit_no IS NOT NULL"),
        ),
        Index(None, "admission_no"),
        Index(None, "visit_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    bed: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(8))
    age: Mapped[str] = mapped_column(String(8))
    diagnosis: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(16))
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    critical: Mapped[str | None] = mapped_column(String(16))
    transferred_from: Mapped[str | None] = mapped_column(String(64))
    transferred_to: Mapped[str | None] = mapped_column(String(64))
    # 住院号 / MRN (HL7 PID-3) and the visit number (PV1-19): shown in private only.
    admission_no: Mapped[str | None] = mapped_column(String(32))
    visit_no: Mapped[str | None] = mapped_column(String(32))


class SurgeryRow(Base):
    __tablename__ = "surgeries"
    __table_args__ = (Index(None, "stay_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    procedure: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BoardItemRow(Base):
    __tablename__ = "board_items"
    __table_args__ = (Index(None, "stay_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(BigInteger)


class AuditRow(Base):
    __tablename__ = "audit_log"
    # (ward, target, at): whether a bed was changed by hand lately (the HIS feed asks for
    # every event it applies), read from the index alone however long the ward's history.
    __table_args__ = (Index(None, "ward_id", "at"), Index(None, "ward_id", "target", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    # none_as_null: "no before-state" is SQL NULL, not the JSON text 'null'.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class PatientTagRow(Base):
    __tablename__ = "patient_tags"
    __table_args__ = (
        # One present tag of a kind per patient: two nurses tagging 防跌倒 at the same
        # moment get one tag, and the second is told to look again.
        Index(
            PRESENT_TAG_INDEX,
            "stay_id",
            "code",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index(None, "stay_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    code: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[int] = mapped_column(BigInteger)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_by: Mapped[int | None] = mapped_column(BigInteger)


class PatientLineRow(Base):
    __tablename__ = "patient_lines"
    __table_args__ = (Index(None, "stay_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    code: Mapped[str] = mapped_column(String(32))
    site: Mapped[str | None] = mapped_column(Text)
    inserted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    purpose: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[int] = mapped_column(BigInteger)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_by: Mapped[int | None] = mapped_column(BigInteger)


class WardTagRow(Base):
    __tablename__ = "ward_tags"

    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    name_zh: Mapped[str | None] = mapped_column(String(64))
    name_en: Mapped[str | None] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(7))
    badge_zh: Mapped[str | None] = mapped_column(String(64))
    badge_en: Mapped[str | None] = mapped_column(String(64))
    has_detail: Mapped[bool] = mapped_column(Boolean)


class BedSignRow(Base):
    __tablename__ = "bed_signs"

    stay_id: Mapped[int] = mapped_column(
        ForeignKey("stays.id"), primary_key=True, autoincrement=False
    )
    printed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    printed_by: Mapped[int] = mapped_column(BigInteger)
    # A SHA-256 hex digest of what the printed sign showed (see boards.bedside).
    fingerprint: Mapped[str] = mapped_column(String(64))


# --- medication orders, reminders, ward policy and materialised tasks ----------------------


class MedicationOrderRow(Base):
    __tablename__ = "medication_orders"
    __table_args__ = (Index(None, "stay_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    drug: Mapped[str] = mapped_column(String(64))
    dose: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(16))
    freq: Mapped[str] = mapped_column(String(8))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stop_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int] = mapped_column(BigInteger)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stopped_by: Mapped[int | None] = mapped_column(BigInteger)


class ReminderRow(Base):
    __tablename__ = "reminders"
    __table_args__ = (Index(None, "stay_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "HH:MM" of ward wall-clock time for a daily reminder: text compares and round-trips
    # the same on both backends, where TIME does not.
    daily_at: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int] = mapped_column(BigInteger)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stopped_by: Mapped[int | None] = mapped_column(BigInteger)


class WardPolicyRow(Base):
    __tablename__ = "ward_policies"

    ward_id: Mapped[int] = mapped_column(
        ForeignKey("wards.id"), primary_key=True, autoincrement=False
    )
    # boards.schedule.WardPolicy.to_dict(): one versioned document, read back with from_dict.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[int] = mapped_column(BigInteger)


class WardDisplayRow(Base):
    """The ward's station-screen link (only its seed and a hash) and what the screen shows."""

    __tablename__ = "ward_displays"

    ward_id: Mapped[int] = mapped_column(
        ForeignKey("wards.id"), primary_key=True, autoincrement=False
    )
    seed: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    names_full: Mapped[bool] = mapped_column(Boolean, default=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[int] = mapped_column(BigInteger)


class TaskHorizonRow(Base):
    """How far one order's, line's or reminder's tasks are materialised.

    Top-ups start here rather than at "now": tasks that fell due while the bot was down
    still get made (and sent late), and a policy change never backfills past times.
    """

    __tablename__ = "task_horizons"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class TaskOccurrenceRow(Base):
    __tablename__ = "task_occurrences"
    __table_args__ = (
        # A task is never materialised twice, whoever materialises it and however often.
        # Cancelled rows stay as a record but do not count: an order changed back to its
        # old times gets its tasks again. Keyed on the planned time, which a snooze leaves.
        Index(
            TASK_SOURCE_INDEX,
            "kind",
            "source_id",
            "rule_code",
            "planned_at",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        # The scheduler tick's claim: only what may still need sending.
        Index(
            TASK_CLAIM_INDEX,
            "remind_at",
            sqlite_where=text("status = 'pending' AND sent_at IS NULL"),
            postgresql_where=text("status = 'pending' AND sent_at IS NULL"),
        ),
        # A claim's leases, ward by ward: the same rows, by ward and reminder time.
        Index(
            TASK_CLAIM_WARD_INDEX,
            "ward_id",
            "remind_at",
            sqlite_where=text("status = 'pending' AND sent_at IS NULL"),
            postgresql_where=text("status = 'pending' AND sent_at IS NULL"),
        ),
        Index(
            TASK_ESCALATION_INDEX,
            "due_at",
            sqlite_where=text(
                "status = 'pending' AND sent_at IS NOT NULL AND escalated_at IS NULL"
            ),
            postgresql_where=text(
                "status = 'pending' AND sent_at IS NOT NULL AND escalated_at IS NULL"
            ),
        ),
        Index(None, "ward_id", "status", "due_at"),
        Index(None, "stay_id", "status"),
        # Every press on a reminder redraws its message from the tasks it carries.
        Index(None, "message_chat_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # The order, line or reminder id: no foreign key, as it points into one of three tables.
    source_id: Mapped[int] = mapped_column(Integer)
    # "" rather than NULL when there is no rule: NULLs never collide in a unique index.
    rule_code: Mapped[str] = mapped_column(String(40))
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    remind_at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    done_by: Mapped[int | None] = mapped_column(BigInteger)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    message_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late: Mapped[bool] = mapped_column(Boolean)

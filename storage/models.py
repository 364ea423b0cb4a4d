"""Tables of the ward store as typed SQLAlchemy declarative models (Alembic owns the schema)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ACTIVE_BED_INDEX",
    "NAMING_CONVENTION",
    "PENDING_TRANSFER_INDEX",
    "PRESENT_TAG_INDEX",
    "TASK_CLAIM_INDEX",
    "TASK_ESCALATION_INDEX",
    "TASK_SOURCE_INDEX",
    "AdverseEventRow",
    "AuditRow",
    "Base",
    "BedSignRow",
    "BoardItemRow",
    "InviteRow",
    "MedicationOrderRow",
    "MemberRow",
    "OperatorRow",
    "PatientLineRow",
    "PatientTagRow",
    "QcProblemRow",
    "QualityCheckRow",
    "QualitySettingsRow",
    "ReminderRow",
    "StayRow",
    "SurgeryRow",
    "TaskHorizonRow",
    "TaskOccurrenceRow",
    "TransferRow",
    "UserPrefsRow",
    "UtcDateTime",
    "WardPolicyRow",
    "WardRow",
    "WardTagRow",
]

# Alembic can only drop or alter a constraint it can name: every constraint gets a
# deterministic name here, identical on SQLite and PostgreSQL.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE_BED_INDEX = "uq_stays_ward_id_bed_active"
PRESENT_TAG_INDEX = "uq_patient_tags_stay_id_code_present"
TASK_SOURCE_INDEX = "uq_task_occurrences_source_planned"
TASK_CLAIM_INDEX = "ix_task_occurrences_claim"
TASK_ESCALATION_INDEX = "ix_task_occurrences_escalation"
PENDING_TRANSFER_INDEX = "uq_transfers_stay_id_pending"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back as aware UTC.

    PostgreSQL keeps the instant in `timestamptz`; SQLite has no timezone type and drops
    tzinfo, so values are stored there as naive UTC and UTC is attached again on the way
    out. Naive values are refused: their meaning depends on the server's clock setting.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        utc = value.astimezone(UTC)
        # SQLite compares timestamps as text, so every value must be in the same zone.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WardRow(Base):
    __tablename__ = "wards"
    __table_args__ = (
        UniqueConstraint("name"),
        UniqueConstraint("group_chat_id"),
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
    __table_args__ = (Index(None, "ward_id", "at"),)

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


# --- the quality loop: adverse events and the ward's quality settings ----------------------


class AdverseEventRow(Base):
    __tablename__ = "adverse_events"
    __table_args__ = (Index(None, "ward_id", "occurred_at"), Index(None, "stay_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    bed: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("patient_lines.id"))
    severity: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_by: Mapped[int] = mapped_column(BigInteger)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # active / corrected / retracted: never deleted; what changed is in the audit log.
    status: Mapped[str] = mapped_column(String(16))


class QualitySettingsRow(Base):
    __tablename__ = "quality_settings"

    ward_id: Mapped[int] = mapped_column(
        ForeignKey("wards.id"), primary_key=True, autoincrement=False
    )
    # Event type codes, quality-group user ids, problem category names: small JSON lists.
    safety_types: Mapped[list[str]] = mapped_column(JSON())
    qc_members: Mapped[list[int]] = mapped_column(JSON())
    qc_categories: Mapped[list[str]] = mapped_column(JSON())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class QualityCheckRow(Base):
    __tablename__ = "quality_checks"
    __table_args__ = (Index(None, "ward_id", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_by: Mapped[int] = mapped_column(BigInteger)
    # The five domain scores in boards.model.QC_DOMAINS order.
    scores: Mapped[list[int]] = mapped_column(JSON())
    note: Mapped[str | None] = mapped_column(Text)


class QcProblemRow(Base):
    __tablename__ = "qc_problems"
    __table_args__ = (Index(None, "ward_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    check_id: Mapped[int | None] = mapped_column(ForeignKey("quality_checks.id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime())
    found_by: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[int | None] = mapped_column(BigInteger)

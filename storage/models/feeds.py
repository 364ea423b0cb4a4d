"""Tables of the shift and the hospital around the ward: handovers, HIS messages, quality."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models._base import (
    Base,
    UtcDateTime,
)

__all__ = [
    "AdverseEventRow",
    "DialogueRow",
    "HandoverRow",
    "HisMessageRow",
    "ImportDraftRow",
    "QcProblemRow",
    "QualityCheckRow",
    "QualitySettingsRow",
]


class HandoverRow(Base):
    """One shift handover posted to a ward group (boards.model.Handover)."""

    __tablename__ = "handovers"
    __table_args__ = (
        # One per ward and shift: a second bot instance (or a restart) cannot post it twice.
        UniqueConstraint("ward_id", "shift_start"),
        Index(None, "posted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    shift_code: Mapped[str] = mapped_column(String(40))
    shift_start: Mapped[datetime] = mapped_column(UtcDateTime())
    shift_end: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # The message ids in order, the last one carrying the 接班 button.
    message_ids: Mapped[list[int] | None] = mapped_column(JSON())
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handed_over_by: Mapped[int | None] = mapped_column(BigInteger)
    taken_over_by: Mapped[int | None] = mapped_column(BigInteger)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HisMessageRow(Base):
    """An HL7 message from the hospital system, by its control id (MSH-10): applied once."""

    __tablename__ = "his_messages"
    __table_args__ = (UniqueConstraint("control_id"), Index(None, "ward_id", "received_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    control_id: Mapped[str] = mapped_column(String(64))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    event: Mapped[str] = mapped_column(String(16))
    ack_code: Mapped[str] = mapped_column(String(2))
    # Why it was not applied (AE / AR), repeated in the ACK of the same message sent again.
    ack_text: Mapped[str | None] = mapped_column(Text)


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


class DialogueRow(Base):
    """A guided dialogue in progress in one private chat (boards.model.DialogueState)."""

    __tablename__ = "dialogues"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command: Mapped[str] = mapped_column(String(32))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    args: Mapped[list[str]] = mapped_column(JSON())
    step: Mapped[int] = mapped_column(Integer)
    # [[bed, stay id], ...]: the patient answered for each bed.
    expected: Mapped[list[list[Any]]] = mapped_column(JSON())
    touched_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ImportDraftRow(Base):
    """A census import in progress (boards.model.ImportDraft): waiting for the file, or
    previewed and waiting for the nurse's confirmation. Short-lived: expired after half an
    hour, so the file's patient data does not stay here."""

    __tablename__ = "import_drafts"
    __table_args__ = (Index(None, "at"),)

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(64), default="")
    # The file's cells, row by row; null while the nurse has not sent it yet.
    cells: Mapped[list[list[str]] | None] = mapped_column(JSON(), nullable=True)
    digest: Mapped[str] = mapped_column(String(64), default="")

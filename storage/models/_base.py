"""The declarative base, the UTC datetime column type and the names of partial indexes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Dialect,
    MetaData,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase

__all__ = [
    "ACTIVE_ADMISSION_INDEX",
    "ACTIVE_BED_INDEX",
    "ACTIVE_VISIT_INDEX",
    "NAMING_CONVENTION",
    "PENDING_TRANSFER_INDEX",
    "PRESENT_TAG_INDEX",
    "TASK_CLAIM_INDEX",
    "TASK_CLAIM_WARD_INDEX",
    "TASK_ESCALATION_INDEX",
    "TASK_SOURCE_INDEX",
    "Base",
    "UtcDateTime",
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
ACTIVE_ADMISSION_INDEX = "uq_stays_ward_id_admission_no_active"
ACTIVE_VISIT_INDEX = "uq_stays_ward_id_visit_no_active"
PRESENT_TAG_INDEX = "uq_patient_tags_stay_id_code_present"
TASK_SOURCE_INDEX = "uq_task_occurrences_source_planned"
TASK_CLAIM_INDEX = "ix_task_occurrences_claim"
TASK_CLAIM_WARD_INDEX = "ix_task_occurrences_claim_ward"
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

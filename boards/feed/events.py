"""What the hospital system says happened, in the ward's words (no HL7 here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from boards.model import Sex

__all__ = ["CensusEvent", "EventKind", "Person", "Place"]


class EventKind(enum.StrEnum):
    ADMIT = "admit"
    TRANSFER = "transfer"
    DISCHARGE = "discharge"
    UPDATE = "update"
    CANCEL_ADMIT = "cancel_admit"
    CANCEL_TRANSFER = "cancel_transfer"
    CANCEL_DISCHARGE = "cancel_discharge"
    SWAP = "swap"


@dataclass(frozen=True, slots=True)
class Place:
    """A point of care (the hospital's code for a ward) and a bed in it, either unknown."""

    unit: str | None = None
    bed: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """One patient as the event names them: identifiers first, details where given.

    Times are as the hospital wrote them: naive ones are wall times of the ward.
    """

    admission_no: str
    visit_no: str | None = None
    name: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    diagnosis: str | None = None
    place: Place = Place()
    prior: Place = Place()
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CensusEvent:
    kind: EventKind
    # The sender's id for the message: the same id twice is the same event, applied once.
    message_id: str
    # The event's own name in the sender's standard (A01...), kept for the record.
    code: str
    people: tuple[Person, ...]
    occurred_at: datetime | None = None

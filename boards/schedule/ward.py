"""The ward policy document: medication, line care, shifts and reminder timing together."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from boards.schedule._common import _MINUTES_PER_DAY, _int, _mapping
from boards.schedule.colours import BoardColours
from boards.schedule.errors import PolicyError
from boards.schedule.line_care import LineCarePolicy, default_line_care_policy
from boards.schedule.medication import MedicationPolicy, default_medication_policy
from boards.schedule.shifts import ShiftPolicy, default_shift_policy

DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
# 0: the reminder goes out at the due minute. Nurses prepare from the board anyway, and an
# early ping invites giving the dose early; a ward that wants a head start sets its own lead.
DEFAULT_LEAD_MINUTES: Final = 0
DEFAULT_ESCALATION_MINUTES: Final = 30
# The handover not taken over (接班) this long after it was posted: the head nurse is told.
DEFAULT_HANDOVER_MINUTES: Final = 30


POLICY_VERSION: Final = 1


_LEAD_RANGE: Final = (0, 240)
# A discharged stay's personal data is anonymised this many days after it ended (`wardboard
# purge`): long enough for a late question about the stay, short enough to keep little.
DEFAULT_RETENTION_DAYS: Final = 90
RETENTION_RANGE: Final = (7, 3650)
_ESCALATION_RANGE: Final = (1, _MINUTES_PER_DAY)
_HANDOVER_RANGE: Final = (1, 720)


@dataclass(frozen=True, slots=True, kw_only=True)
class WardPolicy:
    """Everything a ward decides about its schedules, stored as one JSON document."""

    medication: MedicationPolicy = field(default_factory=default_medication_policy)
    line_care: LineCarePolicy = field(default_factory=default_line_care_policy)
    shifts: ShiftPolicy = field(default_factory=default_shift_policy)
    lead_minutes: int = DEFAULT_LEAD_MINUTES
    escalation_minutes: int = DEFAULT_ESCALATION_MINUTES
    handover_minutes: int = DEFAULT_HANDOVER_MINUTES
    # Free text (notes, operations, exams, procedures) on the group board, as on the
    # physical board at the station; off, the group sees that there is a note, not what.
    group_notes: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS
    # The board picture's and the station screen's colours (levels, critical, overdue).
    colours: BoardColours = field(default_factory=BoardColours)

    def __post_init__(self) -> None:
        low, high = RETENTION_RANGE
        if (
            not isinstance(self.retention_days, int)
            or isinstance(self.retention_days, bool)
            or not low <= self.retention_days <= high
        ):
            raise PolicyError(
                "schedule.policy.bad_days", value=str(self.retention_days), min=low, max=high
            )
        for name, (low, high) in (
            ("lead_minutes", _LEAD_RANGE),
            ("escalation_minutes", _ESCALATION_RANGE),
            ("handover_minutes", _HANDOVER_RANGE),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise PolicyError(
                    "schedule.policy.bad_minutes", field=name, value=str(value), min=low, max=high
                )

    def remind_at(self, due: datetime) -> datetime:
        """When the reminder for an occurrence due at ``due`` goes out."""
        # In UTC: Python adds to an aware datetime on its own wall clock, which is wrong
        # across a DST change.
        return due.astimezone(UTC) - timedelta(minutes=self.lead_minutes)

    def overdue_at(self, due: datetime) -> datetime:
        """When an unacknowledged occurrence earns its one overdue notice."""
        return due.astimezone(UTC) + timedelta(minutes=self.escalation_minutes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe document (strings, ints, lists, dicts) that ``from_dict`` reads back."""
        return {
            "version": POLICY_VERSION,
            "medication": self.medication.to_dict(),
            "line_care": self.line_care.to_dict(),
            "shifts": self.shifts.to_list(),
            "lead_minutes": self.lead_minutes,
            "escalation_minutes": self.escalation_minutes,
            "handover_minutes": self.handover_minutes,
            "group_notes": self.group_notes,
            "retention_days": self.retention_days,
            "colours": self.colours.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WardPolicy:
        """Load a stored policy; a missing section takes its default (older documents)."""
        data = _mapping(data, "")
        version = data.get("version", POLICY_VERSION)
        if version != POLICY_VERSION:
            raise PolicyError("schedule.policy.bad_version", version=str(version))
        medication = data.get("medication")
        line_care = data.get("line_care")
        shifts = data.get("shifts")
        colours = data.get("colours")
        return cls(
            medication=default_medication_policy()
            if medication is None
            else MedicationPolicy.from_dict(_mapping(medication, "medication")),
            line_care=default_line_care_policy()
            if line_care is None
            else LineCarePolicy.from_dict(_mapping(line_care, "line_care")),
            shifts=default_shift_policy() if shifts is None else ShiftPolicy.from_list(shifts),
            lead_minutes=_int(data.get("lead_minutes", DEFAULT_LEAD_MINUTES), "lead_minutes"),
            escalation_minutes=_int(
                data.get("escalation_minutes", DEFAULT_ESCALATION_MINUTES), "escalation_minutes"
            ),
            handover_minutes=_int(
                data.get("handover_minutes", DEFAULT_HANDOVER_MINUTES), "handover_minutes"
            ),
            group_notes=data.get("group_notes", True) is not False,
            retention_days=_int(
                data.get("retention_days", DEFAULT_RETENTION_DAYS), "retention_days"
            ),
            colours=BoardColours()
            if colours is None
            else BoardColours.from_dict(_mapping(colours, "colours")),
        )


@functools.cache
def default_ward_policy() -> WardPolicy:
    # Built once: a frozen value, read for every board, /tasks and reminder tick of a ward
    # that never set its own (building it checks every default again, about 0.4 ms).
    return WardPolicy()

"""Schedule arithmetic for medication and line-care reminders: ward policy and occurrences."""

from boards.schedule.codes import Frequency, Route, clock_times_required, is_external, is_iv
from boards.schedule.colours import BoardColours, default_board_colours
from boards.schedule.errors import PolicyError, ScheduleError
from boards.schedule.line_care import Anchor, CareRule, LineCarePolicy, default_line_care_policy
from boards.schedule.medication import MedicationPolicy, TimeTable, default_medication_policy
from boards.schedule.occurrences import (
    DEFAULT_SLOT_MINUTES,
    line_care_occurrences,
    medication_occurrences,
    slot_of,
)
from boards.schedule.parsing import parse_frequency, parse_route
from boards.schedule.shifts import Shift, ShiftPolicy, default_shift_policy
from boards.schedule.ward import (
    DEFAULT_ESCALATION_MINUTES,
    DEFAULT_LEAD_MINUTES,
    DEFAULT_TIMEZONE,
    POLICY_VERSION,
    WardPolicy,
    default_ward_policy,
)
from boards.when import parse_clock, parse_when

__all__ = [
    "DEFAULT_ESCALATION_MINUTES",
    "DEFAULT_LEAD_MINUTES",
    "DEFAULT_SLOT_MINUTES",
    "DEFAULT_TIMEZONE",
    "POLICY_VERSION",
    "Anchor",
    "BoardColours",
    "CareRule",
    "Frequency",
    "LineCarePolicy",
    "MedicationPolicy",
    "PolicyError",
    "Route",
    "ScheduleError",
    "Shift",
    "ShiftPolicy",
    "TimeTable",
    "WardPolicy",
    "clock_times_required",
    "default_board_colours",
    "default_line_care_policy",
    "default_medication_policy",
    "default_shift_policy",
    "default_ward_policy",
    "is_external",
    "is_iv",
    "line_care_occurrences",
    "medication_occurrences",
    "parse_clock",
    "parse_frequency",
    "parse_route",
    "parse_when",
    "slot_of",
]

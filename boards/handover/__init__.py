"""The shift handover (交班): the report in I-PASS order, its rendering, posting and 接班."""

from boards.handover.render import MESSAGE_BUDGET, render_report, taken_line, waiting_line
from boards.handover.report import (
    COMING_WINDOW,
    ActionItem,
    ActionKind,
    FocusPatient,
    HandoverReport,
    Movement,
    ShiftCensus,
    TaskFigures,
    assemble_report,
)
from boards.handover.service import (
    ShiftSpan,
    current_span,
    due_handover,
    handed_over_by,
    handover_report,
    head_nurses,
    last_span,
    next_span,
    take_over,
)

__all__ = [
    "COMING_WINDOW",
    "MESSAGE_BUDGET",
    "ActionItem",
    "ActionKind",
    "FocusPatient",
    "HandoverReport",
    "Movement",
    "ShiftCensus",
    "ShiftSpan",
    "TaskFigures",
    "assemble_report",
    "current_span",
    "due_handover",
    "handed_over_by",
    "handover_report",
    "head_nurses",
    "last_span",
    "next_span",
    "render_report",
    "take_over",
    "taken_line",
    "waiting_line",
]

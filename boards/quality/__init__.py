"""The quality loop: adverse events, safety days, monthly figures, period comparisons, charts."""

from boards.quality.events import (
    EventRequest,
    SafetyCount,
    correct_event,
    parse_event_args,
    quality_settings,
    record_event,
    retract_event,
    safety_days,
    set_safety_types,
    ward_events,
)
from boards.quality.figures import MonthFigures, Period, month_figures, month_period
from boards.quality.report import (
    MonthlyReport,
    PeriodComparison,
    compare_periods,
    monthly_report,
    parse_month,
    parse_periods,
    report_csv,
)
from boards.quality.stats import Comparison, Method, compare_proportions, fisher_exact
from boards.quality.summary import comparison_text, report_text

__all__ = [
    "Comparison",
    "EventRequest",
    "Method",
    "MonthFigures",
    "MonthlyReport",
    "Period",
    "PeriodComparison",
    "SafetyCount",
    "compare_periods",
    "compare_proportions",
    "comparison_text",
    "correct_event",
    "fisher_exact",
    "month_figures",
    "month_period",
    "monthly_report",
    "parse_event_args",
    "parse_month",
    "parse_periods",
    "quality_settings",
    "record_event",
    "report_csv",
    "report_text",
    "retract_event",
    "safety_days",
    "set_safety_types",
    "ward_events",
]

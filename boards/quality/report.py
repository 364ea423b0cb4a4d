"""The monthly report and the period comparison: load a ward's data once, figure, write CSV."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from boards.access import Actor, require_member
from boards.errors import BadInput
from boards.i18n import Texts
from boards.lines import DEFAULT_LINES
from boards.model import TaskKind, Ward
from boards.ports import Clock, UnitOfWork
from boards.quality.figures import (
    MonthFigures,
    Period,
    month_figures,
    month_period,
    shifted_month,
)
from boards.quality.stats import Comparison, compare_proportions
from boards.quality_model import QC_DOMAINS, EventType
from boards.tasks import get_policy

__all__ = [
    "MonthlyReport",
    "PeriodComparison",
    "compare_periods",
    "figures_for",
    "line_name",
    "monthly_report",
    "parse_month",
    "parse_periods",
    "report_csv",
]

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_RANGE = re.compile(r"(\d{4}-\d{1,2})(?:\.\.(\d{4}-\d{1,2}))?")


def line_name(code: str, t: Texts) -> str:
    """A line type's name in the reader's language ("输液港"), its code when unknown."""
    for kind in DEFAULT_LINES:
        if kind.code == code:
            return t.pick(kind.name_zh, kind.name_en)
    return code


def parse_month(text: str) -> tuple[int, int]:
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise BadInput("err.report_month", value=text[:16])
    return int(found.group(1)), int(found.group(2))


def _range(text: str, tz: ZoneInfo) -> Period:
    found = _RANGE.fullmatch(text.strip())
    if found is None:
        raise BadInput("err.report_month", value=text[:16])
    first = parse_month(found.group(1))
    last = parse_month(found.group(2)) if found.group(2) else first
    months = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
    if months < 1 or months > 36:
        raise BadInput("err.report_month", value=text[:16])
    return month_period(*first, tz, months=months)


def parse_periods(words: list[str], tz: ZoneInfo) -> tuple[Period, Period]:
    """`2026-01..2026-06 vs 2026-07..2026-12` (spaces around "vs" optional)."""
    text = " ".join(words).replace("VS", "vs").replace("对比", "vs")
    parts = [p for p in re.split(r"\s*vs\s*", text) if p.strip()]
    if len(parts) != 2:
        raise BadInput("err.report_month", value=text[:16])
    return _range(parts[0], tz), _range(parts[1], tz)


async def figures_for(
    uow: UnitOfWork, clock: Clock, *, ward: Ward, period: Period
) -> MonthFigures:
    tz = ZoneInfo(ward.timezone)
    stays = await uow.stays.overlapping(ward.id, period.start, period.end)
    ids = [s.id for s in stays]
    return month_figures(
        period,
        tz=tz,
        now=clock.now(),
        policy=await get_policy(uow, ward=ward),
        stays=stays,
        lines=await uow.lines.of_stays(ids),
        events=await uow.events.of_ward(ward.id, since=period.start, until=period.end),
        tasks=await uow.facts.tasks(ward.id, period.start, period.end),
    )


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    ward: Ward
    month: MonthFigures
    previous: MonthFigures
    last_year: MonthFigures
    # Quality checks: each of the last six months with its checks' mean domain scores
    # (None without a check), the problems found this month by category (most first), and
    # how many problems of the ward are still open.
    qc_trend: tuple[tuple[str, tuple[float, ...] | None], ...] = ()
    problem_categories: tuple[tuple[str, int], ...] = ()
    open_problems: int = 0
    checks: int = 0


async def monthly_report(
    uow: UnitOfWork, clock: Clock, *, actor: Actor | None, ward: Ward, year: int, month: int
) -> MonthlyReport:
    """The month, the month before and the same month a year earlier (`actor` None: the
    offline CLI, run by whoever holds the database)."""
    if actor is not None:
        await require_member(uow, ward.id, actor.user_id)
    tz = ZoneInfo(ward.timezone)
    figures = [
        await figures_for(uow, clock, ward=ward, period=month_period(y, m, tz))
        for y, m in ((year, month), shifted_month(year, month, -1), (year - 1, month))
    ]
    this = figures[0].period
    first = month_period(*shifted_month(year, month, -5), tz)
    checks = await uow.checks.of_ward(ward.id, since=first.start, until=this.end)
    trend = []
    for back in range(5, -1, -1):
        period = month_period(*shifted_month(year, month, -back), tz)
        scores = [c.scores for c in checks if period.start <= c.checked_at < period.end]
        means = tuple(sum(column) / len(scores) for column in zip(*scores, strict=True))
        trend.append((period.label, means if scores else None))
    problems = await uow.checks.problems(ward.id, since=this.start)
    found = Counter(p.category for p in problems if p.found_at < this.end)
    still_open = await uow.checks.problems(ward.id, open_only=True)
    return MonthlyReport(
        ward,
        month=figures[0],
        previous=figures[1],
        last_year=figures[2],
        qc_trend=tuple(trend),
        problem_categories=tuple(found.most_common()),
        open_problems=len(still_open),
        checks=sum(1 for c in checks if this.start <= c.checked_at < this.end),
    )


@dataclass(frozen=True, slots=True)
class PeriodComparison:
    first: MonthFigures
    second: MonthFigures
    test: Comparison


async def compare_periods(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, first: Period, second: Period
) -> PeriodComparison:
    """Two periods side by side, with the share of patients who had an adverse event in
    each (a patient is a stay here) and the test of the difference."""
    await require_member(uow, ward.id, actor.user_id)
    a = await figures_for(uow, clock, ward=ward, period=first)
    b = await figures_for(uow, clock, ward=ward, period=second)
    test = compare_proportions(
        a.patients_with_event, a.patients, b.patients_with_event, b.patients
    )
    return PeriodComparison(a, b, test)


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def report_csv(report: MonthlyReport, t: Texts) -> bytes:
    """One row per figure, columns: the month, the month before, the same month last year.
    UTF-8 with a BOM, so a spreadsheet on a ward PC reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    months = (report.month, report.previous, report.last_year)
    writer.writerow(
        [t("report.csv.figure"), t("report.csv.detail"), *(m.period.label for m in months)]
    )

    def row(name: str, detail: str, values: list[str]) -> None:
        writer.writerow([name, detail, *values])

    row(t("report.csv.patient_days"), "", [str(m.patient_days) for m in months])
    row(t("report.csv.patients"), "", [str(m.patients) for m in months])
    codes = sorted({c for m in months for c in m.line_days})
    for code in codes:
        row(
            t("report.csv.line_days"),
            line_name(code, t),
            [str(m.line_days.get(code, 0)) for m in months],
        )
        row(
            t("report.csv.utilisation"),
            line_name(code, t),
            [_number(m.utilisation_of(code), 3) for m in months],
        )
    row(t("report.csv.line_days"), t("report.csv.all"), [str(m.total_line_days) for m in months])
    row(
        t("report.csv.utilisation"),
        t("report.csv.all"),
        [_number(m.utilisation, 3) for m in months],
    )
    for kind in EventType:
        name = t(f"quality.type.{kind.value}")
        row(t("report.csv.events"), name, [str(m.events.get(kind, 0)) for m in months])
        row(t("report.csv.event_rate"), name, [_number(m.event_rate(kind)) for m in months])
    row(t("report.csv.unplanned_rate"), "", [_number(m.unplanned_rate) for m in months])
    for code in sorted({c for m in months for c in m.by_shift}):
        for field in ("total", "on_time", "late", "skipped", "open", "escalated"):
            row(
                t(f"report.csv.tasks_{field}"),
                t("report.csv.shift", shift=code),
                [str(getattr(m.by_shift.get(code), field, 0)) for m in months],
            )
    for task_kind in TaskKind:
        for field in ("total", "on_time", "late", "skipped", "open", "escalated"):
            row(
                t(f"report.csv.tasks_{field}"),
                t(f"report.kind.{task_kind.value}"),
                [str(getattr(m.by_kind.get(task_kind), field, 0)) for m in months],
            )
    for reason in report.month.skip_reasons:
        row(
            t("report.csv.skip_reason"),
            reason,
            [str(m.skip_reasons.get(reason, 0)) for m in months],
        )
    for field in ("sent", "acted", "snoozed", "escalated", "nurse_shifts"):
        row(t(f"report.csv.alerts_{field}"), "", [str(getattr(m.alerts, field)) for m in months])
    row(
        t("report.csv.alerts_per_nurse_shift"),
        "",
        [_number(m.alerts.per_nurse_shift) for m in months],
    )

    # The quality checks' six months: one row per month and domain, the month in column 3.
    for label, means in report.qc_trend:
        for domain, mean in zip(QC_DOMAINS, means or (None,) * len(QC_DOMAINS), strict=True):
            name = t(f"qc.domain.{domain}")
            writer.writerow([t("report.csv.qc_score"), name, label, _number(mean, 1)])
    for category, n in report.problem_categories:
        row(t("report.csv.qc_problems"), category, [str(n), "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""The monthly report and the period comparison as the text of a private reply."""

from __future__ import annotations

import html
from collections.abc import Callable

from boards.i18n import Texts
from boards.model import TaskKind
from boards.quality.figures import MonthFigures, Timeliness
from boards.quality.report import MonthlyReport, PeriodComparison, line_name
from boards.quality.stats import Method
from boards.quality_model import QC_DOMAINS, EventType

__all__ = ["comparison_text", "report_text"]


def _n(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _timeliness(t: Texts, name: str, x: Timeliness) -> str:
    return t(
        "report.tasks_line",
        name=name,
        share=_pct(x.on_time_share),
        on_time=x.on_time,
        total=x.total,
        late=x.late,
        skipped=x.skipped,
        open=x.open,
        escalated=x.escalated,
    )


def _month_lines(m: MonthFigures, t: Texts, shift_names: dict[str, str]) -> list[str]:
    lines = [
        t(
            "report.census",
            patient_days=m.patient_days,
            patients=m.patients,
            line_days=m.total_line_days,
            ratio=_n(m.utilisation),
        )
    ]
    if m.line_days:
        parts = [
            f"{html.escape(line_name(code, t))} {days}（{_n(m.utilisation_of(code))}）"
            for code, days in m.line_days.items()
        ]
        lines.append(t("report.lines", items=" · ".join(parts)))
    if m.events:
        parts = [
            t(
                "report.event_item",
                type=t(f"quality.type.{k.value}"),
                n=m.events[k],
                rate=_n(m.event_rate(k)),
            )
            for k in EventType
            if k in m.events
        ]
        lines.append(t("report.events", n=m.total_events, items=" · ".join(parts)))
    else:
        lines.append(t("report.no_events"))
    lines.append(
        t(
            "report.unplanned",
            n=m.events.get(EventType.UNPLANNED_REMOVAL, 0),
            rate=_n(m.unplanned_rate),
        )
    )
    lines.append(_timeliness(t, t("report.all_tasks"), m.tasks))
    for code, x in m.by_shift.items():
        if x.total:
            lines.append("  " + _timeliness(t, html.escape(shift_names.get(code, code)), x))
    for kind in TaskKind:
        if kind in m.by_kind and m.by_kind[kind].total:
            lines.append("  " + _timeliness(t, t(f"report.kind.{kind.value}"), m.by_kind[kind]))
    if m.skip_reasons:
        reasons = " · ".join(f"{html.escape(r)} {n}" for r, n in list(m.skip_reasons.items())[:5])
        lines.append(t("report.skip_reasons", items=reasons))
    a = m.alerts
    lines.append(
        t(
            "report.alerts",
            sent=a.sent,
            acted=a.acted,
            snoozed=a.snoozed,
            escalated=a.escalated,
            per=_n(a.per_nurse_shift, 1),
        )
    )
    return lines


def _qc_line(report: MonthlyReport, t: Texts) -> str:
    means = report.qc_trend[-1][1] if report.qc_trend else None
    scores = "—"
    if means:
        scores = " · ".join(
            f"{t(f'qc.domain.{d}')} {s:.1f}" for d, s in zip(QC_DOMAINS, means, strict=True)
        )
    found = " · ".join(f"{html.escape(c)} {n}" for c, n in report.problem_categories) or "0"
    return t(
        "report.qc", checks=report.checks, scores=scores, problems=found, open=report.open_problems
    )


def report_text(report: MonthlyReport, t: Texts, shift_names: dict[str, str]) -> str:
    m, p, y = report.month, report.previous, report.last_year
    lines = [t("report.title", ward=html.escape(report.ward.name), month=m.period.label)]
    lines += _month_lines(m, t, shift_names)
    lines.append(_qc_line(report, t))
    lines.append("")
    lines.append(t("report.compare_title", previous=p.period.label, last_year=y.period.label))
    rows: tuple[tuple[str, Callable[[MonthFigures], str]], ...] = (
        ("report.row.patient_days", lambda f: str(f.patient_days)),
        ("report.row.events", lambda f: str(f.total_events)),
        (
            "report.row.event_rate",
            lambda f: _n(None if f.patient_days == 0 else f.total_events * 1000 / f.patient_days),
        ),
        ("report.row.utilisation", lambda f: _n(f.utilisation)),
        ("report.row.unplanned_rate", lambda f: _n(f.unplanned_rate)),
        ("report.row.on_time", lambda f: _pct(f.tasks.on_time_share)),
        ("report.row.alerts", lambda f: _n(f.alerts.per_nurse_shift, 1)),
    )
    for key, value in rows:
        lines.append(
            t(
                "report.compare_row",
                figure=t(key),
                now=value(m),
                previous=value(p),
                last_year=value(y),
            )
        )
    return "\n".join(lines)


def comparison_text(ward_name: str, c: PeriodComparison, t: Texts) -> str:
    test = c.test
    name = t("report.test_fisher") if test.test is Method.FISHER else t("report.test_yates")
    lines = [
        t("report.periods_title", ward=html.escape(ward_name)),
        t(
            "report.period_row",
            period=c.first.period.label,
            events=test.events_a,
            patients=test.total_a,
            share=_pct(test.share_a),
            patient_days=c.first.patient_days,
        ),
        t(
            "report.period_row",
            period=c.second.period.label,
            events=test.events_b,
            patients=test.total_b,
            share=_pct(test.share_b),
            patient_days=c.second.patient_days,
        ),
    ]
    if test.statistic is not None:
        lines.append(t("report.test_chi", test=name, chi=f"{test.statistic:.2f}", p=_p(test.p)))
    else:
        lines.append(t("report.test", test=name, p=_p(test.p)))
    lines.append(t("report.significant" if test.p < 0.05 else "report.not_significant"))
    return "\n".join(lines)


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.4f}"

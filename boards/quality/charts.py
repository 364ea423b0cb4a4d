"""The monthly report's charts as one PNG: matplotlib (Agg, no pyplot), the shipped CJK font."""

from __future__ import annotations

import functools
import io
from importlib import resources

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from boards.fonts import font_path
from boards.i18n import Texts
from boards.quality.figures import MonthFigures
from boards.quality.report import MonthlyReport, line_name
from boards.quality_model import QC_DOMAINS, QC_MAX_SCORE, EventType

__all__ = ["report_png"]

_COLOURS = ("#1f77b4", "#9ecae1", "#c7c7c7")  # this month, the month before, last year
_STATES = (
    ("on_time", "#2ca02c"),
    ("late", "#ff7f0e"),
    ("skipped", "#d62728"),
    ("open", "#7f7f7f"),
)


@functools.cache
def _font_family() -> str:
    with resources.as_file(font_path()) as path:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()


def _value(v: float) -> str:
    """A bar's label: whole numbers as they are (5160, not 5.16e+03), rates to 3 figures."""
    return f"{v:.0f}" if v.is_integer() or abs(v) >= 100 else f"{v:.3g}"


def _grouped(ax: Axes, labels: list[str], series: list[tuple[str, list[float]]]) -> None:
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name, color=_COLOURS[i % len(_COLOURS)])
        ax.bar_label(bars, fmt=_value, fontsize=7, padding=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.legend(fontsize=7)


def _events(ax: Axes, report: MonthlyReport, t: Texts) -> None:
    months = (report.month, report.previous, report.last_year)
    kinds = list(EventType)
    _grouped(
        ax,
        [t(f"quality.type.{k.value}") for k in kinds],
        [(m.period.label, [m.event_rate(k) or 0.0 for k in kinds]) for m in months],
    )
    ax.set_title(t("chart.events"))
    ax.tick_params(axis="x", labelrotation=30)


def _lines(ax: Axes, report: MonthlyReport, t: Texts) -> None:
    months = (report.month, report.previous, report.last_year)
    codes = sorted({c for m in months for c in m.line_days}) or ["—"]
    _grouped(
        ax,
        [line_name(c, t) for c in codes],
        [(m.period.label, [float(m.line_days.get(c, 0)) for c in codes]) for m in months],
    )
    ratio = report.month.utilisation
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(t("chart.lines", ratio="—" if ratio is None else f"{ratio:.2f}"))


def _timeliness(ax: Axes, m: MonthFigures, t: Texts, names: dict[str, str]) -> None:
    codes = list(m.by_shift)
    bottom = [0.0] * len(codes)
    for state, colour in _STATES:
        values = [float(getattr(m.by_shift[c], state)) for c in codes]
        ax.bar(
            [names.get(c, c) for c in codes],
            values,
            bottom=bottom,
            color=colour,
            label=t(f"chart.state_{state}"),
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, c in enumerate(codes):
        share = m.by_shift[c].on_time_share
        if share is not None:
            ax.annotate(
                f"{share * 100:.0f}%", (x, bottom[x]), ha="center", va="bottom", fontsize=8
            )
    ax.set_ylim(0, max([*bottom, 1.0]) * 1.12)  # room for the shares above the bars
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(t("chart.timeliness"))
    ax.legend(fontsize=7)


def _alerts(ax: Axes, report: MonthlyReport, t: Texts) -> None:
    months = (report.month, report.previous, report.last_year)
    fields = ("sent", "acted", "snoozed", "escalated")
    _grouped(
        ax,
        [t(f"chart.alert_{f}") for f in fields],
        [(m.period.label, [float(getattr(m.alerts, f)) for f in fields]) for m in months],
    )
    per = report.month.alerts.per_nurse_shift
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(t("chart.alerts", per="—" if per is None else f"{per:.1f}"))


def _pareto(ax: Axes, items: list[tuple[str, int]], title: str, t: Texts) -> None:
    """Counts by cause, most frequent first, with the cumulative share (the first eight)."""
    total = sum(n for _, n in items)
    items = items[:8]
    ax.set_title(title)
    if not items:
        ax.text(0.5, 0.5, t("chart.none"), ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    labels = [r[:8] for r, _ in items]
    counts = [n for _, n in items]
    ax.bar(labels, counts, color="#1f77b4", width=0.6)
    ax.set_xlim(-0.5, max(len(labels), 4) - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    running, shares = 0, []
    for n in counts:
        running += n
        shares.append(running * 100 / total)
    twin = ax.twinx()
    twin.plot(labels, shares, color="#d62728", marker="o")
    twin.set_ylim(0, 105)
    twin.set_ylabel("%", fontsize=8)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)


def _compare(ax: Axes, report: MonthlyReport, t: Texts) -> None:
    months = (report.month, report.previous, report.last_year)
    values = [(m.total_events * 1000 / m.patient_days) if m.patient_days else 0.0 for m in months]
    bars = ax.bar([m.period.label for m in months], values, color=list(_COLOURS))
    ax.bar_label(bars, fmt=_value, fontsize=8)
    ax.set_title(t("chart.compare"))


def _qc_trend(ax: Axes, report: MonthlyReport, t: Texts) -> None:
    """Each domain's mean score over the last six months (gaps where no check was made)."""
    labels = [label for label, _ in report.qc_trend]
    ax.set_title(t("chart.qc_trend"))
    if not any(means for _, means in report.qc_trend):
        ax.text(0.5, 0.5, t("chart.none"), ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    xs = list(range(len(labels)))
    for i, domain in enumerate(QC_DOMAINS):
        values = [means[i] if means else float("nan") for _, means in report.qc_trend]
        ax.plot(xs, values, marker="o", label=t(f"qc.domain.{domain}"))
    ax.set_xticks(xs, labels)
    ax.set_ylim(0, QC_MAX_SCORE + 1)
    ax.legend(fontsize=7, loc="lower left")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)


def report_png(report: MonthlyReport, t: Texts, shift_names: dict[str, str]) -> bytes:
    """Eight panels: events per 1,000 patient days by type, line days by type, timeliness
    by shift, quality-check scores over six months, alert load, a Pareto of skip reasons,
    one of the problems the checks found, and all events against the same months."""
    family = _font_family()
    # Fixed margins rather than a constrained layout: as legible, and a third of the time.
    figure = Figure(figsize=(20, 9), dpi=100)
    figure.subplots_adjust(left=0.03, right=0.97, top=0.91, bottom=0.1, wspace=0.25, hspace=0.45)
    FigureCanvasAgg(figure)
    with matplotlib.rc_context({"font.family": [family], "axes.unicode_minus": False}):
        figure.suptitle(
            t("chart.title", ward=report.ward.name, month=report.month.period.label), fontsize=15
        )
        axes = figure.subplots(2, 4)
        _events(axes[0][0], report, t)
        _lines(axes[0][1], report, t)
        _timeliness(axes[0][2], report.month, t, shift_names)
        _qc_trend(axes[0][3], report, t)
        _alerts(axes[1][0], report, t)
        _pareto(axes[1][1], list(report.month.skip_reasons.items()), t("chart.pareto"), t)
        _pareto(axes[1][2], list(report.problem_categories), t("chart.qc_pareto"), t)
        _compare(axes[1][3], report, t)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()

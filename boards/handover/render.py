"""The handover report as Telegram HTML: as many messages as a large ward needs, each bounded."""

from __future__ import annotations

import html
from collections.abc import Sequence

from boards.board import TELEGRAM_TEXT_LIMIT, plain_length
from boards.handover.report import ActionItem, ActionKind, FocusPatient, HandoverReport, Movement
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import NursingLevel, Stay

__all__ = ["MESSAGE_BUDGET", "render_report", "taken_line", "waiting_line"]

# Room in every message for a continuation heading and, in the last, the 接班 line.
MESSAGE_BUDGET = TELEGRAM_TEXT_LIMIT - 256


def _who(stay: Stay, t: Texts, *, private: bool) -> str:
    name = stay.name if private else mask_name(stay.name)
    return f"<b>{html.escape(t.bed(stay.bed))}</b> {html.escape(name)}"


def _shift_name(t: Texts, report: HandoverReport, *, following: bool = False) -> str:
    shift = report.next_shift if following else report.shift
    return html.escape(t.pick(shift.name_zh, shift.name_en))


def _title(report: HandoverReport, t: Texts) -> str:
    title = t(
        "handover.title",
        ward=html.escape(report.ward.name),
        shift=_shift_name(t, report),
        date=t.date(report.start),
        start=t.hm(report.start),
        end=t.hm(report.end),
    )
    if not report.finished:
        title += t("handover.so_far", time=t.hm(report.as_of))
    return title


def _census(report: HandoverReport, t: Texts) -> list[str]:
    c = report.census
    return [
        t(
            "handover.census",
            start=c.start,
            admitted=c.admitted,
            tin=c.transferred_in,
            discharged=c.discharged,
            tout=c.transferred_out,
            end=c.end,
        ),
        t(
            "handover.census2",
            critical=c.critical,
            serious=c.serious,
            special=c.levels[NursingLevel.SPECIAL],
            one=c.levels[NursingLevel.ONE],
        ),
    ]


def _movement(m: Movement, t: Texts, *, private: bool) -> str:
    return t(
        f"handover.move.{m.kind}",
        who=_who(m.stay, t, private=private),
        time=t.hm(m.at),
        ward=html.escape(m.other_ward or "—"),
    )


def _free(item: ActionItem, t: Texts, *, private: bool, group_notes: bool) -> str:
    if item.free_text and not private and not group_notes:
        return t("board.text_hidden")
    if item.text_en is not None and not t.chinese:
        return html.escape(item.text_en)
    return html.escape(item.text)


def _action_lines(
    patient: FocusPatient, report: HandoverReport, t: Texts, *, private: bool
) -> list[str]:
    lines: list[str] = []
    upcoming: list[str] = []
    for item in patient.actions:
        text = _free(item, t, private=private, group_notes=report.group_notes)
        # Tomorrow's 09:00 operation, or a dose overdue since before midnight, says its day.
        at = t.date_hm(item.at, now=report.as_of) if item.at is not None else ""
        if item.kind is ActionKind.NEXT:
            upcoming.append(f"{at} {text}")
        elif item.kind is ActionKind.SKIPPED:
            reason = html.escape(item.detail or "—")
            lines.append(t("handover.action.skipped", time=at, text=text, reason=reason))
        elif item.kind is ActionKind.LINE:
            lines.append(t("handover.action.line", text=text, day=item.detail or "?"))
        else:
            lines.append(t(f"handover.action.{item.kind.value}", time=at, text=text))
    if upcoming:
        lines.append(
            t(
                "handover.action.next",
                shift=_shift_name(t, report, following=report.finished),
                items="；".join(upcoming) if t.chinese else "; ".join(upcoming),
            )
        )
    return lines


def _patient(
    patient: FocusPatient, report: HandoverReport, t: Texts, *, private: bool
) -> list[str]:
    severity = []
    if patient.critical is not None:
        severity.append(f"<b>{t(f'critical.{patient.critical.value}')}</b>")
    if patient.level is not None:
        severity.append(t(f"level.{patient.level.value}"))
    head = " · ".join([f"▌{_who(patient.stay, t, private=private)}", *severity])
    lines = [head]
    if private and patient.diagnosis:
        lines.append(t("handover.diagnosis", text=html.escape(patient.diagnosis)))
    if private and patient.allergies:
        lines.append(t("handover.allergies", text=html.escape(patient.allergies)))
    lines += _action_lines(patient, report, t, private=private)
    if patient.new_tags:
        joined = "、".join(patient.new_tags) if t.chinese else ", ".join(patient.new_tags)
        lines.append(t("handover.new_tags", tags=html.escape(joined)))
    return lines


def _figures(report: HandoverReport, t: Texts) -> list[str]:
    f = report.figures
    lines = [
        t("handover.figures_title", shift=_shift_name(t, report)),
        t("handover.figures", on_time=f.on_time, late=f.late, skipped=f.skipped, open=f.open),
    ]
    if f.reasons:
        shown = "、".join(f"{html.escape(reason)} {n}" for reason, n in f.reasons)
        lines.append(t("handover.reasons", reasons=shown))
    return lines


def _blocks(report: HandoverReport, t: Texts, *, private: bool) -> list[list[str]]:
    """The report in I-PASS order, as blocks that are never split between messages unless
    one alone is too long: heading and census, who left, who arrived, each focus patient,
    then the outgoing shift's task figures."""
    blocks = [[_title(report, t), *_census(report, t)]]
    if report.left:
        blocks.append(
            ["", t("handover.left"), *(_movement(m, t, private=private) for m in report.left)]
        )
    if report.arrived:
        blocks.append(
            [
                "",
                t("handover.arrived"),
                *(_movement(m, t, private=private) for m in report.arrived),
            ]
        )
    blocks.append(["", t("handover.focus", n=len(report.focus))])
    if not report.focus:
        blocks[-1].append(t("handover.focus_none"))
    for patient in report.focus:
        blocks.append(_patient(patient, report, t, private=private))
    blocks.append(["", *_figures(report, t)])
    return blocks


def _size(lines: Sequence[str]) -> int:
    return sum(plain_length(line) + 1 for line in lines)


def render_report(
    report: HandoverReport, t: Texts, *, private: bool, budget: int = MESSAGE_BUDGET
) -> list[str]:
    """The report as Telegram HTML messages in order, each within `budget` plain characters
    (Telegram's 4096 less room for the 接班 line the last one gets).

    The group copy (`private=False`) has masked names and no diagnosis, allergies or tag
    details; a 60-bed ward simply takes several messages, each after the first headed
    "(续 n)".
    """
    messages: list[list[str]] = [[]]
    for block in _blocks(report, t, private=private):
        pieces = [block]
        if _size(block) > budget:
            # One patient with a very long list: cut it by lines (never inside a line).
            pieces = [[line] for line in block]
        for piece in pieces:
            if messages[-1] and _size(messages[-1]) + _size(piece) > budget:
                messages.append([])
            messages[-1].extend(piece)
    total = len(messages)
    rendered = []
    for number, lines in enumerate(messages, start=1):
        if number > 1:
            heading = t(
                "handover.continued",
                ward=html.escape(report.ward.name),
                shift=_shift_name(t, report),
                n=number,
                total=total,
            )
            lines = [heading, *(lines[1:] if lines and lines[0] == "" else lines)]
        rendered.append("\n".join(lines))
    return rendered


def waiting_line(t: Texts) -> str:
    return t("handover.waiting")


def taken_line(t: Texts, *, by: str | None, to: str, at_hm: str) -> str:
    return t(
        "handover.taken",
        by=html.escape(by) if by else t("handover.nobody"),
        to=html.escape(to),
        time=at_hm,
    )

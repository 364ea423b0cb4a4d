"""The patient card as a view: who, today's items, tags, lines and the sign's state."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from boards.board_data import BedsideInfo, post_op_day
from boards.i18n import Texts
from boards.model import BoardItem, Stay, Surgery, SurgeryState
from boards.views.rich import Line, Span, join, markup, strong

__all__ = ["CardView", "card_view"]


@dataclass(frozen=True, slots=True)
class CardView:
    """The card of one stay, for ward staff (full name, diagnosis, allergens).

    `head`: title, sex · age · level · critical, diagnosis, admitted, operations (with the
    post-op day); `items`: today's operations, exams and notes (the part a long day may
    shorten); `bedside`: tags, lines (past their limit strong), the sign to print; `foot`.
    """

    head: tuple[Line, ...]
    items: tuple[Line, ...]
    bedside: tuple[Line, ...]
    foot: tuple[Line, ...]


def _emphasised(line: Line) -> Line:
    return tuple(Span(span.text, strong=True) for span in line)


def _bedside(info: BedsideInfo, t: Texts) -> list[Line]:
    lines = []
    for entry in info.tags:
        name = t.pick(entry.kind.name_zh, entry.kind.name_en)
        detail = f"：{entry.tag.detail}" if entry.tag.detail else ""
        lines.append(markup(t("card.tag", tag=html.escape(name + detail))))
    for line in info.lines:
        name = t.pick(line.kind.name_zh, line.kind.name_en)
        extra = " · ".join(html.escape(p) for p in (line.line.site, line.line.purpose) if p)
        shown = markup(
            t(
                "card.line",
                n=line.number,
                line=html.escape(name),
                when=t.date(line.line.inserted_at),
                day=line.dwell_day,
                extra=f" · {extra}" if extra else "",
            )
        )
        if line.overdue:
            shown = _emphasised(join([shown, markup(t("card.line_overdue"))]))
        lines.append(shown)
    if info.needs_reprint:
        lines.append(markup(t("card.sign_reprint")))
    elif info.printed_at is None:
        lines.append(markup(t("card.sign_missing")))
    return lines


def card_view(
    stay: Stay,
    surgeries: tuple[Surgery, ...],
    items: tuple[BoardItem, ...],
    info: BedsideInfo | None,
    t: Texts,
    *,
    now: datetime,
    identifiers: bool = False,
) -> CardView:
    """The card of `stay` with its operations, today's items and its bedside state; with
    `identifiers` (a private chat only) the hospital's admission and visit numbers."""
    facts = [
        markup(t(f"sex.{stay.sex.value}")),
        markup(t(f"age.{stay.age.unit}", n=stay.age.value)),
    ]
    if stay.level:
        facts.append(markup(t(f"level.{stay.level.value}")))
    if stay.critical:
        facts.append(strong(t("critical." + stay.critical.value)))
    head = [
        markup(t("card.title", bed=t.bed(stay.bed), name=html.escape(stay.name))),
        join(facts, " · "),
        markup(t("card.diagnosis", text=html.escape(stay.diagnosis or "—"))),
        markup(t("card.admitted", when=f"{t.date(stay.admitted_at)} {t.hm(stay.admitted_at)}")),
    ]
    if identifiers and (stay.admission_no or stay.visit_no):
        number = markup(t("card.admission_no", number=html.escape(stay.admission_no or "—")))
        if stay.visit_no:
            visit = markup(t("card.visit_no", number=html.escape(stay.visit_no)))
            number = join([number, visit], " · ")
        head.append(number)
    for op in sorted(surgeries, key=lambda o: o.scheduled_at):
        if op.state is SurgeryState.CANCELLED:
            continue
        day = post_op_day(op, now, t.tz)
        shown = markup(
            t(
                "card.surgery",
                when=t.date_hm(op.scheduled_at, now=now),
                procedure=html.escape(op.procedure),
                state=t("surgery." + op.state.value),
            )
        )
        if day:
            shown = join([shown, markup(f" · {t('board.post_op_day', n=day)}")], "")
        head.append(shown)
    return CardView(
        head=tuple(head),
        items=tuple(
            markup(t(f"card.{item.kind.value}", when=t.hm(item.at), text=html.escape(item.text)))
            for item in sorted(items, key=lambda i: i.at)
        ),
        bedside=tuple(_bedside(info, t)) if info is not None else (),
        foot=((), markup(t("card.wristband"))),
    )

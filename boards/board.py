"""The ward whiteboard rendered as Telegram HTML: census, lists and bedside state, one message."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from boards.board_data import (
    BoardData,
    Census,
    admitted_today,
    census,
    day_bounds,
    post_op_day,
)
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Critical, ItemKind, NursingLevel, Stay, StayStatus, Surgery, SurgeryState
from boards.parsing import bed_sort_key

__all__ = [
    "TELEGRAM_TEXT_LIMIT",
    "condense",
    "plain_length",
    "render_board",
]

TELEGRAM_TEXT_LIMIT = 4096
# Room for the header and the condensing notes, so a full board never meets the limit.
_BUDGET = TELEGRAM_TEXT_LIMIT - 96
POST_OP_DAYS_SHOWN = 7


def _who(stay: Stay, t: Texts, *, private: bool) -> str:
    name = stay.name if private else mask_name(stay.name)
    return f"<b>{html.escape(t.bed(stay.bed))}</b> {html.escape(name)}"


def _level_text(level: NursingLevel | None, t: Texts) -> str:
    return t(f"level.{level.value}") if level is not None else ""


def _census_lines(c: Census, t: Texts) -> list[str]:
    first = t(
        "board.census",
        start=c.start,
        admitted=c.admitted,
        discharged=c.discharged,
        tin=c.transferred_in,
        tout=c.transferred_out,
        current=c.current,
    )
    second = t(
        "board.census2",
        critical=c.critical,
        serious=c.serious,
        surgeries=c.surgeries,
        special=c.levels[NursingLevel.SPECIAL],
        one=c.levels[NursingLevel.ONE],
        two=c.levels[NursingLevel.TWO],
        three=c.levels[NursingLevel.THREE],
    )
    return [first, second]


def _safety_line(data: BoardData, t: Texts) -> list[str]:
    """One line under the census: "🛡 无跌倒 37 天 · 无压力性损伤 12 天"."""
    if not data.safety:
        return []
    items = [t("board.safety_item", what=t(f"quality.type.{c}"), days=n) for c, n in data.safety]
    return [t("board.safety", items=" · ".join(items))]


def _sections(data: BoardData, t: Texts, *, private: bool) -> list[tuple[str, list[str]]]:
    tz = ZoneInfo(data.ward.timezone)
    start, _ = day_bounds(data.now, tz)
    tomorrow_end = start + timedelta(days=2)
    by_id = {s.id: s for s in (*data.active, *data.ended_today)}
    order = sorted(data.active, key=lambda s: bed_sort_key(s.bed))

    def free(text: str) -> str:
        # The group sees free text only where the ward chose to show it there.
        return html.escape(text) if private or data.group_notes else t("board.text_hidden")

    admissions = []
    for stay in sorted(
        admitted_today((*data.active, *data.ended_today), start),
        key=lambda s: bed_sort_key(s.bed),
    ):
        parts = [
            _who(stay, t, private=private),
            t(f"sex.{stay.sex.value}"),
            t(f"age.{stay.age.unit}", n=stay.age.value),
        ]
        if private and stay.diagnosis:
            parts.append(html.escape(stay.diagnosis))
        if stay.level is not None:
            parts.append(_level_text(stay.level, t))
        if stay.transferred_from:
            parts.append(t("board.from_ward", ward=html.escape(stay.transferred_from)))
        if not stay.active:
            parts.append(t("board.left_today"))
        admissions.append(" ".join(parts))

    departures = []
    for stay in sorted(data.ended_today, key=lambda s: bed_sort_key(s.bed)):
        if stay.status is StayStatus.TRANSFERRED:
            what = t("board.to_ward", ward=html.escape(stay.transferred_to or "?"))
        else:
            what = t("board.discharged")
        departures.append(f"{_who(stay, t, private=private)} {what}")

    surgeries = []
    post_op = []
    latest: dict[int, Surgery] = {}
    for op in sorted(data.surgeries, key=lambda o: o.scheduled_at):
        patient = by_id.get(op.stay_id)
        if patient is None or op.state is SurgeryState.CANCELLED:
            continue
        latest[op.stay_id] = op
        if start <= op.scheduled_at < tomorrow_end and patient.active:
            when = t.date_hm(op.scheduled_at, now=data.now)
            surgeries.append(
                f"{_who(patient, t, private=private)} {when} {free(op.procedure)}"
                f" · {t('surgery.' + op.state.value)}"
            )
    for stay in order:
        last = latest.get(stay.id)
        if last is None or last.scheduled_at >= start:
            continue
        day = post_op_day(last, data.now, tz)
        if day is not None and 1 <= day <= POST_OP_DAYS_SHOWN:
            post_op.append(f"{_who(stay, t, private=private)} {t('board.post_op_day', n=day)}")

    critical = [
        f"{_who(s, t, private=private)} <b>{t('critical.' + s.critical.value)}</b>"
        for s in sorted(
            order, key=lambda s: (s.critical is not Critical.CRITICAL, bed_sort_key(s.bed))
        )
        if s.critical is not None
    ]

    def items(kind: ItemKind) -> list[str]:
        lines = []
        chosen = [i for i in data.items_today if i.kind is kind and i.stay_id in by_id]
        for item in sorted(chosen, key=lambda i: (bed_sort_key(by_id[i.stay_id].bed), i.at)):
            stay = by_id[item.stay_id]
            when = f"{t.hm(item.at)} " if kind is ItemKind.EXAM else ""
            lines.append(f"{_who(stay, t, private=private)} {when}{free(item.text)}")
        return lines

    # An arrival is masked even in private: the record crosses only once accepted.
    arrivals = [
        t(
            "board.arrival",
            bed=t.bed(a.bed),
            name=html.escape(mask_name(a.name)),
            ward=html.escape(a.ward),
        )
        for a in sorted(data.arrivals, key=lambda a: bed_sort_key(a.bed))
    ]
    outgoing = [
        t(
            "board.outgoing",
            bed=t.bed(o.bed),
            name=html.escape(o.name if private else mask_name(o.name)),
            ward=html.escape(o.ward),
        )
        for o in sorted(data.outgoing, key=lambda o: bed_sort_key(o.bed))
    ]

    tags, lines, signs = _bedside_sections(data, order, t, private=private)
    return [
        ("board.sec.reminders", _reminder_lines(data, t)),
        ("board.sec.admissions", admissions),
        ("board.sec.discharges", departures),
        ("board.sec.arrivals", arrivals),
        ("board.sec.outgoing", outgoing),
        ("board.sec.surgeries", surgeries),
        ("board.sec.post_op", post_op),
        ("board.sec.critical", critical),
        ("board.sec.operations", items(ItemKind.OPERATION)),
        ("board.sec.exams", items(ItemKind.EXAM)),
        ("board.sec.notes", items(ItemKind.NOTE)),
        ("board.sec.tags", tags),
        ("board.sec.lines", lines),
        ("board.sec.signs", signs),
    ]


def _reminder_lines(data: BoardData, t: Texts) -> list[str]:
    summary = data.reminders
    if summary is None or not (summary.next_slot or summary.due_count or summary.overdue_count):
        return []
    parts = []
    if summary.next_slot is not None:
        parts.append(
            t(
                "board.next_slot",
                time=t.date_hm(summary.next_slot, now=data.now),
                n=summary.next_count,
            )
        )
    if summary.due_count:
        parts.append(t("board.due_count", n=summary.due_count))
    if summary.overdue_count:
        parts.append(f"<b>{t('board.overdue_count', n=summary.overdue_count)}</b>")
    return [" · ".join(parts)]


def _bedside_sections(
    data: BoardData, order: Sequence[Stay], t: Texts, *, private: bool
) -> tuple[list[str], list[str], list[str]]:
    """Warning tags per bed with a count per tag, lines with dwell days, signs to print."""
    zh = t.locale.startswith("zh")
    counts: Counter[str] = Counter()
    tags, lines, reprint, missing = [], [], [], []
    for stay in order:
        info = data.bedside.get(stay.id)
        if info is None:
            continue
        badges = []
        for entry in info.tags:
            badge = entry.kind.badge_zh if zh else entry.kind.badge_en
            counts[badge] += 1
            # Allergens and other details are patient data: the group sees the badge only.
            detail = f"({html.escape(entry.tag.detail)})" if private and entry.tag.detail else ""
            badges.append(f"{html.escape(badge)}{detail}")
        if badges:
            tags.append(f"{_who(stay, t, private=private)} {' · '.join(badges)}")
        shown = []
        for line in info.lines:
            name = line.kind.name_zh if zh else line.kind.abbr
            text = f"{html.escape(name)} {t('board.dwell_day', n=line.dwell_day)}"
            shown.append(f"<b>⚠{text}</b>" if line.overdue else text)
        if shown:
            lines.append(f"{_who(stay, t, private=private)} {' · '.join(shown)}")
        if info.needs_reprint:
            reprint.append(html.escape(t.bed(stay.bed)))
        elif info.printed_at is None:
            missing.append(html.escape(t.bed(stay.bed)))
    if counts:
        tally = " · ".join(f"{html.escape(name)} {n}" for name, n in counts.most_common())
        tags.insert(0, tally)
    signs = []
    if reprint:
        signs.append(t("board.sign_reprint_beds", beds="、".join(reprint)))
    if missing:
        signs.append(t("board.sign_missing_beds", beds="、".join(missing)))
    return tags, lines, signs


_TAG = re.compile(r"<[^>]+>")


def plain_length(markup: str) -> int:
    """Length of an HTML message as Telegram counts it: after tags and entities are parsed."""
    return len(html.unescape(_TAG.sub("", markup)))


def condense(
    sections: Sequence[tuple[str, Sequence[str]]],
    t: Texts,
    *,
    fixed: int = 0,
    budget: int = _BUDGET,
) -> list[tuple[str, list[str]]]:
    """Shorten the longest lists, whole lines at a time, until the text fits one message.

    `sections` are (heading, lines) with the heading already rendered; a heading counts only
    while its section shows something. Each shortened list ends with "…另有 N 条" ("… N
    more"); `fixed` is the plain length of everything else in the message.
    """
    kept = [list(lines) for _, lines in sections]
    hidden = [0] * len(sections)

    def size() -> int:
        total = fixed
        for i, (title, _) in enumerate(sections):
            if kept[i] or hidden[i]:
                total += plain_length(title) + 1
                total += sum(plain_length(line) + 1 for line in kept[i])
                if hidden[i]:
                    total += plain_length(t("board.more", n=hidden[i])) + 1
        return total

    while size() > budget:
        longest = max(range(len(kept)), key=lambda i: len(kept[i]))
        if not kept[longest]:
            break
        kept[longest].pop()
        hidden[longest] += 1
    result = []
    for i, (title, _) in enumerate(sections):
        lines = kept[i]
        if hidden[i]:
            lines = [*lines, t("board.more", n=hidden[i])]
        result.append((title, lines))
    return result


def render_board(data: BoardData, t: Texts, *, private: bool) -> str:
    """The board as Telegram HTML, never longer than one message.

    The group copy (`private=False`) shows masked names and no diagnoses.
    """
    head = [
        t(
            "board.title",
            ward=html.escape(data.ward.name),
            date=t.date(data.now),
            weekday=t.weekday(data.now),
        ),
        *_census_lines(census(data), t),
        *_safety_line(data, t),
    ]
    foot = [t("board.updated", time=t.hm(data.now))]
    fixed = sum(plain_length(line) + 1 for line in (*head, *foot)) + 2
    headed = [(t(key), lines) for key, lines in _sections(data, t, private=private)]
    body: list[str] = []
    for title, lines in condense(headed, t, fixed=fixed):
        if lines:
            body.append("")
            body.append(title)
            body.extend(lines)
    if not body:
        body = ["", t("board.empty")]
    return "\n".join([*head, *body, "", *foot])

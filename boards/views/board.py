"""The whiteboard as a view: title, census, and its titled lists, from the board's data."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from boards.board_data import BoardData, Census, admitted_today, census, day_bounds, post_op_day
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Critical, ItemKind, NursingLevel, Stay, StayStatus, Surgery, SurgeryState
from boards.parsing import bed_sort_key
from boards.views.rich import Line, Section, Span, join, markup, strong, text

__all__ = [
    "POST_OP_DAYS_SHOWN",
    "SECTION_KEYS",
    "BoardView",
    "board_view",
    "census_lines",
    "latest_surgeries",
    "who",
]

POST_OP_DAYS_SHOWN = 7

# The board's lists, in the order a nurse reads them.
SECTION_KEYS = (
    "board.sec.reminders",
    "board.sec.admissions",
    "board.sec.discharges",
    "board.sec.arrivals",
    "board.sec.outgoing",
    "board.sec.surgeries",
    "board.sec.post_op",
    "board.sec.critical",
    "board.sec.operations",
    "board.sec.exams",
    "board.sec.notes",
    "board.sec.tags",
    "board.sec.lines",
    "board.sec.signs",
)


@dataclass(frozen=True, slots=True)
class BoardView:
    """The whiteboard: every section in `SECTION_KEYS` order (empty ones too), not yet
    fitted to any screen. `private` says whether names are full and details shown."""

    title: Line
    census: tuple[Line, Line]
    sections: tuple[Section, ...]
    updated: Line
    empty: Line
    private: bool
    # Under the census: "🛡 无跌倒 37 天 · …" (boards.quality), the ward's chosen event types.
    safety: tuple[Line, ...] = ()

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def who(stay: Stay, t: Texts, *, private: bool) -> Line:
    """`12床 张*`: the bed strong, the name full only in private."""
    name = stay.name if private else mask_name(stay.name)
    return (Span(t.bed(stay.bed), strong=True), Span(f" {name}"))


def _level_text(level: NursingLevel | None, t: Texts) -> str:
    return t(f"level.{level.value}") if level is not None else ""


def census_lines(c: Census, t: Texts) -> tuple[Line, Line]:
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
    return markup(first), markup(second)


def latest_surgeries(data: BoardData) -> dict[int, Surgery]:
    """Each stay's last operation that was not cancelled."""
    latest: dict[int, Surgery] = {}
    for op in sorted(data.surgeries, key=lambda o: o.scheduled_at):
        if op.state is not SurgeryState.CANCELLED:
            latest[op.stay_id] = op
    return latest


def _sections(data: BoardData, t: Texts, *, private: bool) -> list[Section]:
    tz = ZoneInfo(data.ward.timezone)
    start, _ = day_bounds(data.now, tz)
    tomorrow_end = start + timedelta(days=2)
    by_id = {s.id: s for s in (*data.active, *data.ended_today)}
    order = sorted(data.active, key=lambda s: bed_sort_key(s.bed))

    people: dict[int, Line] = {}

    def person(stay: Stay) -> Line:
        # Most beds are named in several lists (tags, lines, notes): each made once.
        line = people.get(stay.id)
        if line is None:
            line = people[stay.id] = who(stay, t, private=private)
        return line

    def free(value: str) -> Line:
        # The group sees free text only where the ward chose to show it there.
        return text(value) if private or data.group_notes else markup(t("board.text_hidden"))

    admissions = []
    for stay in sorted(
        admitted_today((*data.active, *data.ended_today), start),
        key=lambda s: bed_sort_key(s.bed),
    ):
        parts = [
            person(stay),
            markup(t(f"sex.{stay.sex.value}")),
            markup(t(f"age.{stay.age.unit}", n=stay.age.value)),
        ]
        if private and stay.diagnosis:
            parts.append(text(stay.diagnosis))
        if stay.level is not None:
            parts.append(markup(_level_text(stay.level, t)))
        if stay.transferred_from:
            parts.append(markup(t("board.from_ward", ward=html.escape(stay.transferred_from))))
        if not stay.active:
            parts.append(markup(t("board.left_today")))
        admissions.append(join(parts))

    departures = []
    for stay in sorted(data.ended_today, key=lambda s: bed_sort_key(s.bed)):
        if stay.status is StayStatus.TRANSFERRED:
            what = t("board.to_ward", ward=html.escape(stay.transferred_to or "?"))
        else:
            what = t("board.discharged")
        departures.append(join([person(stay), markup(what)]))

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
                join(
                    [
                        person(patient),
                        text(when),
                        free(op.procedure),
                        text(f"· {t('surgery.' + op.state.value)}"),
                    ]
                )
            )
    for stay in order:
        last = latest.get(stay.id)
        if last is None or last.scheduled_at >= start:
            continue
        day = post_op_day(last, data.now, tz)
        if day is not None and 1 <= day <= POST_OP_DAYS_SHOWN:
            post_op.append(join([person(stay), markup(t("board.post_op_day", n=day))]))

    critical = [
        join([person(s), strong(t("critical." + s.critical.value))])
        for s in sorted(
            order, key=lambda s: (s.critical is not Critical.CRITICAL, bed_sort_key(s.bed))
        )
        if s.critical is not None
    ]

    def items(kind: ItemKind) -> list[Line]:
        lines = []
        chosen = [i for i in data.items_today if i.kind is kind and i.stay_id in by_id]
        for item in sorted(chosen, key=lambda i: (bed_sort_key(by_id[i.stay_id].bed), i.at)):
            stay = by_id[item.stay_id]
            when = text(t.hm(item.at)) if kind is ItemKind.EXAM else ()
            lines.append(join([person(stay), *([when] if when else []), free(item.text)]))
        return lines

    # An arrival is masked even in private: the record crosses only once accepted.
    arrivals = [
        markup(
            t(
                "board.arrival",
                bed=t.bed(a.bed),
                name=html.escape(mask_name(a.name)),
                ward=html.escape(a.ward),
            )
        )
        for a in sorted(data.arrivals, key=lambda a: bed_sort_key(a.bed))
    ]
    outgoing = [
        markup(
            t(
                "board.outgoing",
                bed=t.bed(o.bed),
                name=html.escape(o.name if private else mask_name(o.name)),
                ward=html.escape(o.ward),
            )
        )
        for o in sorted(data.outgoing, key=lambda o: bed_sort_key(o.bed))
    ]

    tags, lines, signs = _bedside_sections(data, order, t, private=private, person=person)
    lists = [
        _reminder_lines(data, t),
        admissions,
        departures,
        arrivals,
        outgoing,
        surgeries,
        post_op,
        critical,
        items(ItemKind.OPERATION),
        items(ItemKind.EXAM),
        items(ItemKind.NOTE),
        tags,
        lines,
        signs,
    ]
    return [
        Section(key, markup(t(key)), tuple(found))
        for key, found in zip(SECTION_KEYS, lists, strict=True)
    ]


def _reminder_lines(data: BoardData, t: Texts) -> list[Line]:
    summary = data.reminders
    if summary is None or not (summary.next_slot or summary.due_count or summary.overdue_count):
        return []
    parts = []
    if summary.next_slot is not None:
        parts.append(
            markup(
                t(
                    "board.next_slot",
                    time=t.date_hm(summary.next_slot, now=data.now),
                    n=summary.next_count,
                )
            )
        )
    if summary.due_count:
        parts.append(markup(t("board.due_count", n=summary.due_count)))
    if summary.overdue_count:
        parts.append(strong(t("board.overdue_count", n=summary.overdue_count)))
    return [join(parts, " · ")]


def _bedside_sections(
    data: BoardData,
    order: Sequence[Stay],
    t: Texts,
    *,
    private: bool,
    person: Callable[[Stay], Line],
) -> tuple[list[Line], list[Line], list[Line]]:
    """Warning tags per bed with a count per tag, lines with dwell days, signs to print."""
    counts: Counter[str] = Counter()
    tags: list[Line] = []
    lines: list[Line] = []
    reprint: list[str] = []
    missing: list[str] = []
    for stay in order:
        info = data.bedside.get(stay.id)
        if info is None:
            continue
        badges = []
        for entry in info.tags:
            badge = t.pick(entry.kind.badge_zh, entry.kind.badge_en)
            counts[badge] += 1
            # Allergens and other details are patient data: the group sees the badge only.
            detail = f"({entry.tag.detail})" if private and entry.tag.detail else ""
            badges.append(text(f"{badge}{detail}"))
        if badges:
            tags.append(join([person(stay), join(badges, " · ")]))
        shown = []
        for line in info.lines:
            name = t.pick(line.kind.name_zh, line.kind.abbr)
            label = f"{name} {t('board.dwell_day', n=line.dwell_day)}"
            shown.append(strong(f"⚠{label}") if line.overdue else text(label))
        if shown:
            lines.append(join([person(stay), join(shown, " · ")]))
        if info.needs_reprint:
            reprint.append(t.bed(stay.bed))
        elif info.printed_at is None:
            missing.append(t.bed(stay.bed))
    if counts:
        tally = " · ".join(f"{name} {n}" for name, n in counts.most_common())
        tags.insert(0, text(tally))
    signs = []
    if reprint:
        signs.append(markup(t("board.sign_reprint_beds", beds=html.escape("、".join(reprint)))))
    if missing:
        signs.append(markup(t("board.sign_missing_beds", beds=html.escape("、".join(missing)))))
    return tags, lines, signs


def board_view(data: BoardData, t: Texts, *, private: bool) -> BoardView:
    """The board for one audience: the group copy (`private=False`) masks names and shows
    no diagnoses, tag details or (if the ward chose) free text."""
    return BoardView(
        title=markup(
            t(
                "board.title",
                ward=html.escape(data.ward.name),
                date=t.date(data.now),
                weekday=t.weekday(data.now),
            )
        ),
        census=census_lines(census(data), t),
        sections=tuple(_sections(data, t, private=private)),
        updated=markup(t("board.updated", time=t.hm(data.now))),
        empty=markup(t("board.empty")),
        private=private,
        safety=_safety(data, t),
    )


def _safety(data: BoardData, t: Texts) -> tuple[Line, ...]:
    """One line under the census: "🛡 无跌倒 37 天 · 无压力性损伤 12 天"."""
    if not data.safety:
        return ()
    items = [t("board.safety_item", what=t(f"quality.type.{c}"), days=n) for c, n in data.safety]
    return (markup(t("board.safety", items=html.escape(" · ".join(items)))),)

"""From the board's data to the picture's words and colours, in the ward's language."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

from boards.board import _sections as board_sections
from boards.board_data import BoardData, census, day_bounds, post_op_day
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Critical, NursingLevel, Stay, Surgery, SurgeryState
from boards.parsing import bed_sort_key
from boards.picture.model import Badge, BedCell, BoardPicture, Legend, Section
from boards.schedule import BoardColours

__all__ = ["POST_OP_DAYS_SHOWN", "bed_labels", "board_picture"]

POST_OP_DAYS_SHOWN = 7
_EMPTY_LEGEND = "#F3F5F6"  # the legend draws this fill as an empty (dashed) bed
_TAG = re.compile(r"<[^>]+>")
# The lists beside the map; tags, lines and post-op days are in the cells themselves.
_PANEL_SECTIONS = (
    "board.sec.reminders",
    "board.sec.surgeries",
    "board.sec.critical",
    "board.sec.admissions",
    "board.sec.discharges",
    "board.sec.arrivals",
    "board.sec.outgoing",
    "board.sec.operations",
    "board.sec.exams",
    "board.sec.notes",
    "board.sec.signs",
)


def _plain(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


def _heading(text: str) -> str:
    return text.strip("【】[] ")


def bed_labels(data: BoardData) -> list[str]:
    """Every bed of the map, in order: the ward's numbered beds and any occupied beyond."""
    beds = [str(n) for n in range(1, (data.ward.bed_count or 0) + 1)]
    known = set(beds)
    beds += sorted({s.bed for s in data.active} - known, key=bed_sort_key)
    return sorted(beds, key=bed_sort_key)


def _surgery_text(ops: list[Surgery], data: BoardData, t: Texts, tz: ZoneInfo) -> str | None:
    """Today's or tomorrow's operation, the one under way, or the post-op day (1-7)."""
    start, _ = day_bounds(data.now, tz)
    live = [o for o in ops if o.state is not SurgeryState.CANCELLED]
    for op in live:
        if op.state is SurgeryState.IN_THEATRE:
            return t("surgery.in_theatre")
    upcoming = [
        o
        for o in live
        if o.state is SurgeryState.SCHEDULED and start <= o.scheduled_at < start + timedelta(2)
    ]
    if upcoming:
        first = min(upcoming, key=lambda o: o.scheduled_at)
        return t("picture.surgery_at", time=t.date_hm(first.scheduled_at, now=data.now))
    done = [o for o in live if o.state is SurgeryState.BACK]
    if done:
        last = max(done, key=lambda o: o.scheduled_at)
        day = post_op_day(last, data.now, tz)
        if day == 0:
            return t("picture.surgery_state", state=t("surgery.back"))
        if day is not None and day <= POST_OP_DAYS_SHOWN:
            return t("board.post_op_day", n=day)
    return None


def _cell(
    stay: Stay,
    data: BoardData,
    t: Texts,
    colours: BoardColours,
    ops: list[Surgery],
    overdue: int,
    *,
    private: bool,
) -> BedCell:
    tz = ZoneInfo(data.ward.timezone)
    zh = t.locale.startswith("zh")
    info = data.bedside.get(stay.id)
    level = (
        Badge(t(f"picture.level.{stay.level.value}"), colours.level(stay.level))
        if stay.level is not None
        else None
    )
    critical = None
    if stay.critical is Critical.CRITICAL:
        critical = Badge(t("critical.critical"), colours.critical)
    elif stay.critical is Critical.SERIOUS:
        critical = Badge(t("critical.serious"), colours.serious)
    # Tag details (allergens) stay off the wall: the badge says there is an allergy.
    tags = tuple(
        Badge(e.kind.badge_zh if zh else e.kind.badge_en, e.kind.colour)
        for e in (info.tags if info else ())
    )
    lines = tuple(
        (line.kind.abbr if not zh or len(line.kind.name_zh) > 4 else line.kind.name_zh)
        for line in (info.lines if info else ())
        if line.overdue
    )
    return BedCell(
        bed=_bed_text(stay.bed, t),
        name=stay.name if private else mask_name(stay.name),
        level=level,
        critical=critical,
        surgery=_surgery_text(ops, data, t, tz),
        tags=tags,
        lines=lines,
        overdue=t("picture.overdue", n=overdue) if overdue else None,
    )


def _bed_text(bed: str, t: Texts) -> str:
    return t("picture.extra_bed", n=bed[1:]) if bed.startswith("+") else bed


def _legend(t: Texts, colours: BoardColours) -> Legend:
    items = [Badge(t(f"level.{level.value}"), colours.level(level)) for level in NursingLevel]
    items += [
        Badge(t("critical.critical"), colours.critical),
        Badge(t("critical.serious"), colours.serious),
        Badge(t("picture.legend_alert"), colours.overdue),
        Badge(t("picture.empty_bed"), _EMPTY_LEGEND),
    ]
    return Legend(tuple(items))


def board_picture(
    data: BoardData,
    t: Texts,
    *,
    private: bool,
    colours: BoardColours | None = None,
    overdue: Mapping[int, int] | None = None,
) -> BoardPicture:
    """The picture of the board: full names when `private`, masked for the group.

    `overdue` counts each stay's open tasks past the escalation window.
    """
    colours = colours or BoardColours()
    overdue = overdue or {}
    c = census(data)
    by_bed = {s.bed: s for s in data.active}
    ops: dict[int, list[Surgery]] = {}
    for op in data.surgeries:
        ops.setdefault(op.stay_id, []).append(op)
    cells = []
    for bed in bed_labels(data):
        stay = by_bed.get(bed)
        if stay is None:
            cells.append(BedCell(_bed_text(bed, t), empty_text=t("picture.empty_bed")))
        else:
            cells.append(
                _cell(
                    stay,
                    data,
                    t,
                    colours,
                    ops.get(stay.id, []),
                    overdue.get(stay.id, 0),
                    private=private,
                )
            )
    wanted = dict.fromkeys(_PANEL_SECTIONS)
    sections = []
    # Full names in private, but no diagnosis: the picture is made for a screen on the wall.
    undiagnosed = dataclasses.replace(
        data,
        active=tuple(dataclasses.replace(s, diagnosis=None) for s in data.active),
        ended_today=tuple(dataclasses.replace(s, diagnosis=None) for s in data.ended_today),
    )
    for key, lines in board_sections(undiagnosed, t, private=private):
        if key in wanted:
            wanted[key] = lines
    summary = data.reminders
    for key in _PANEL_SECTIONS:
        lines = wanted[key] or []
        urgent = key == "board.sec.reminders" and bool(summary and summary.overdue_count)
        sections.append(Section(_heading(t(key)), tuple(_plain(x) for x in lines), urgent))
    first = _plain(
        t(
            "board.census",
            start=c.start,
            admitted=c.admitted,
            discharged=c.discharged,
            tin=c.transferred_in,
            tout=c.transferred_out,
            current=c.current,
        )
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
    return BoardPicture(
        title=t(
            "picture.title",
            ward=data.ward.name,
            date=t.date(data.now),
            weekday=t.weekday(data.now),
        ),
        updated=_plain(t("board.updated", time=t.hm(data.now))),
        census=(first, second),
        cells=tuple(cells),
        sections=tuple(sections),
        legend=_legend(t, colours),
        alert_colour=colours.overdue,
        more=t("board.more", n="{n}"),
        no_beds=t("picture.no_beds"),
    )

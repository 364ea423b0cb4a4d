"""From the station view (boards.views.station) to the picture's words and colours."""

from __future__ import annotations

import dataclasses

from boards.board_data import BoardData
from boards.i18n import Texts
from boards.lines import DEFAULT_LINES
from boards.model import Critical, NursingLevel, SurgeryState
from boards.picture.model import Badge, BedCell, BoardPicture, Legend, Section
from boards.schedule import BoardColours
from boards.views.rich import plain
from boards.views.station import BedCell as StationCell
from boards.views.station import StationView, station_beds, station_view

__all__ = ["bed_labels", "board_picture", "picture_of"]

_EMPTY_LEGEND = "#F3F5F6"  # the legend draws this fill as an empty (dashed) bed
_ABBR = {k.code: k.abbr for k in DEFAULT_LINES}
# The lists beside the map, in the order a nurse at the station reads them. Post-op days
# are in the cells; the reminder area comes first, from `StationView.reminders`.
_PANEL_SECTIONS = (
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


def _heading(text: str) -> str:
    return text.strip("【】[] ")


def bed_labels(data: BoardData) -> list[str]:
    """Every bed of the map, in order: the ward's numbered beds and any occupied beyond."""
    return station_beds(data.ward.bed_count, [s.bed for s in data.active])


def _bed_text(bed: str, t: Texts) -> str:
    return t("picture.extra_bed", n=bed[1:]) if bed.startswith("+") else bed


def _surgery(cell: StationCell, t: Texts, view: StationView) -> str | None:
    """`手术 15:30` before, `10:30 手术中` / `已返回` on the day, `术后第2天` after."""
    if cell.surgery is not None:
        if cell.surgery.state is SurgeryState.SCHEDULED:
            return t("picture.surgery_at", time=t.date_hm(cell.surgery.at, now=view.now))
        return cell.surgery.text
    return cell.post_op_text or None


def _line_name(code: str, name: str) -> str:
    # Long Chinese names (外周静脉留置针) become the abbreviation in a 130-pixel cell.
    return name if len(name) <= 4 else _ABBR.get(code, name)


def _cell(cell: StationCell, t: Texts, view: StationView, colours: BoardColours) -> BedCell:
    bed = _bed_text(cell.bed, t)
    if cell.empty:
        return BedCell(bed, empty_text=cell.empty_text)
    level = (
        Badge(t(f"picture.level.{cell.level.value}"), colours.level(cell.level))
        if cell.level is not None
        else None
    )
    critical = None
    if cell.critical is not None:
        colour = colours.critical if cell.critical is Critical.CRITICAL else colours.serious
        critical = Badge(cell.critical_text, colour)
    return BedCell(
        bed=bed,
        name=cell.name,
        level=level,
        critical=critical,
        surgery=_surgery(cell, t, view),
        # The badge only: a tag's detail (the allergens) stays off the wall.
        tags=tuple(Badge(tag.text, tag.colour) for tag in cell.tags),
        lines=tuple(_line_name(line.code, line.name) for line in cell.lines_over),
        overdue=t("picture.overdue", n=cell.overdue) if cell.overdue else None,
    )


def _legend(t: Texts, colours: BoardColours) -> Legend:
    items = [Badge(t(f"level.{level.value}"), colours.level(level)) for level in NursingLevel]
    items += [
        Badge(t("critical.critical"), colours.critical),
        Badge(t("critical.serious"), colours.serious),
        Badge(t("picture.legend_alert"), colours.overdue),
        Badge(t("picture.empty_bed"), _EMPTY_LEGEND),
    ]
    return Legend(tuple(items))


def picture_of(view: StationView, t: Texts, colours: BoardColours) -> BoardPicture:
    """The station view as the picture draws it: the ward's colours, words for a cell."""
    cells = tuple(_cell(cell, t, view, colours) for cell in view.cells)
    by_key = {s.key: s for s in view.sections}
    sections = [
        Section(
            _heading(t("board.sec.reminders")),
            tuple(plain(line) for line in view.reminders),
            urgent=any(cell.overdue for cell in view.cells),
        )
    ]
    for key in _PANEL_SECTIONS:
        if key in by_key:
            section = by_key[key]
            lines = tuple(plain(line) for line in section.lines)
            sections.append(Section(_heading(plain(section.title)), lines))
    return BoardPicture(
        title=t(
            "picture.title", ward=view.ward, date=t.date(view.now), weekday=t.weekday(view.now)
        ),
        updated=plain(view.updated),
        census=tuple(plain(line) for line in view.census),
        cells=cells,
        sections=tuple(sections),
        legend=_legend(t, colours),
        alert_colour=colours.overdue,
        more=t("board.more", n="{n}"),
        no_beds=t("picture.no_beds"),
    )


def board_picture(
    data: BoardData, t: Texts, *, private: bool, colours: BoardColours | None = None
) -> BoardPicture:
    """The picture of the board: full names when `private`, masked for the group.

    Never a diagnosis, even in private: the picture is made for a screen on the wall.
    """
    undiagnosed = dataclasses.replace(
        data,
        active=tuple(dataclasses.replace(s, diagnosis=None) for s in data.active),
        ended_today=tuple(dataclasses.replace(s, diagnosis=None) for s in data.ended_today),
    )
    view = station_view(undiagnosed, t, full_names=private)
    return picture_of(view, t, colours or BoardColours())

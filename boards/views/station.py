"""The station screen's view (#10): census, one cell per bed with its marks, the day's lists.

Built from `BoardData` (as `bot.publisher.load_board` / `boards.board_load.load_board`
assembles it) by `station_view(data, t, full_names=...)`; drawn as a PNG and as an HTML page.
Every text is ready to show in the ward's language and is plain text (escape it for HTML);
emphasis is carried by `Span.strong`. Colours are not chosen here: a renderer maps `level`
and the marks to the ward's colours, and every mark also has its text (never colour alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boards.board_data import BoardData, day_bounds, post_op_day
from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Critical, NursingLevel, Stay, SurgeryState
from boards.parsing import bed_sort_key
from boards.views.board import POST_OP_DAYS_SHOWN, board_view, latest_surgeries
from boards.views.rich import Line, Section

__all__ = [
    "STATION_SECTION_KEYS",
    "BedCell",
    "LineMark",
    "StationView",
    "SurgeryMark",
    "TagBadge",
    "station_beds",
    "station_view",
]

# The board's lists the screen shows below the bed map. Tags and lines are in the cells;
# the reminder area has a place of its own (`StationView.reminders`).
STATION_SECTION_KEYS = (
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
    "board.sec.signs",
)


@dataclass(frozen=True, slots=True)
class TagBadge:
    """A warning tag on a bed: `text` is its badge (防坠床 / BED FALL), `colour` the ward's
    "#RRGGBB" for it; `detail` (the allergens...) only in a full-names view, else None."""

    code: str
    text: str
    colour: str
    detail: str | None


@dataclass(frozen=True, slots=True)
class LineMark:
    """A line past its dwell limit: `text` is `⚠PICC 留置第9天`, as the board writes it."""

    code: str
    name: str
    dwell_day: int
    text: str


@dataclass(frozen=True, slots=True)
class SurgeryMark:
    """An operation today or tomorrow (not cancelled): `text` is `15:00 待手术`."""

    at: datetime
    state: SurgeryState
    text: str


@dataclass(frozen=True, slots=True)
class BedCell:
    """One bed of the bed map. An empty bed has `empty=True`, its bed and `empty_text` only.

    - `bed` as stored ("12", "+1"), `label` as shown ("12床", "加1床");
    - `name` masked (张*) or full, as the view was asked;
    - `level` / `level_text` the nursing level (the colour band), None / "" if not set;
    - `critical` / `critical_text` 病危 or 病重, None / "" otherwise;
    - `surgery` an operation today or tomorrow; else `post_op_day` 1..7 after it (with
      `post_op_text` 术后第N天), else None / "";
    - `tags` in the ward catalogue's order; `lines_over` the lines past their limit;
    - `overdue` open tasks past the escalation window (`overdue_text` ⚠ 逾期 N, or "").
    """

    bed: str
    label: str
    empty: bool
    stay_id: int | None = None
    name: str = ""
    level: NursingLevel | None = None
    level_text: str = ""
    critical: Critical | None = None
    critical_text: str = ""
    surgery: SurgeryMark | None = None
    post_op_day: int | None = None
    post_op_text: str = ""
    tags: tuple[TagBadge, ...] = ()
    lines_over: tuple[LineMark, ...] = ()
    overdue: int = 0
    overdue_text: str = ""
    empty_text: str = ""  # 空床 on an empty bed


@dataclass(frozen=True, slots=True)
class StationView:
    """The whole screen.

    - `title`, `census` (two lines: 原有/入院/出院/转入/转出/现有, then 病危/病重/手术/levels)
      and `updated` (更新于 14:00) as rich lines;
    - `cells`: one per bed of the ward in bed order (1..bed count, then extra beds and any
      occupied bed outside the count; a ward with no bed count shows its occupied beds);
    - `sections`: the day's lists in `STATION_SECTION_KEYS` order, empty ones included
      (a renderer may skip them), each line a rich line;
    - `reminders`: the reminder area (next slot, due, overdue), empty when nothing is due;
    - `full_names`: names full and details (diagnoses, tag details, free text) shown, as the
      private board; False is the group copy's rules (masked, the ward's free-text choice).
    """

    ward: str
    now: datetime
    title: Line
    census: tuple[Line, Line]
    cells: tuple[BedCell, ...]
    sections: tuple[Section, ...]
    reminders: tuple[Line, ...]
    updated: Line
    full_names: bool


def station_beds(bed_count: int | None, occupied: list[str]) -> list[str]:
    """The beds the map shows: the ward's numbered beds, then any other occupied bed."""
    beds = [str(n) for n in range(1, (bed_count or 0) + 1)]
    known = set(beds)
    beds += sorted((b for b in set(occupied) if b not in known), key=bed_sort_key)
    return sorted(beds, key=bed_sort_key)


def _cell(stay: Stay, data: BoardData, t: Texts, *, full_names: bool) -> BedCell:
    tz = ZoneInfo(data.ward.timezone)
    zh = t.locale.startswith("zh")
    start, _ = day_bounds(data.now, tz)
    surgery = None
    day = None
    last = latest_surgeries(data).get(stay.id)
    if last is not None and start <= last.scheduled_at < start + timedelta(days=2):
        when = t.date_hm(last.scheduled_at, now=data.now)
        surgery = SurgeryMark(
            last.scheduled_at, last.state, f"{when} {t('surgery.' + last.state.value)}"
        )
    elif last is not None and last.scheduled_at < start:
        shown = post_op_day(last, data.now, tz)
        day = shown if shown is not None and 1 <= shown <= POST_OP_DAYS_SHOWN else None
    info = data.bedside.get(stay.id)
    tags = tuple(
        TagBadge(
            code=entry.kind.code,
            text=entry.kind.badge_zh if zh else entry.kind.badge_en,
            colour=entry.kind.colour,
            detail=entry.tag.detail if full_names and entry.tag.detail else None,
        )
        for entry in (info.tags if info is not None else ())
    )
    lines = []
    for line in info.lines if info is not None else ():
        if line.overdue:
            name = line.kind.name_zh if zh else line.kind.abbr
            label = f"⚠{name} {t('board.dwell_day', n=line.dwell_day)}"
            lines.append(LineMark(line.kind.code, name, line.dwell_day, label))
    overdue = data.overdue_tasks.get(stay.id, 0)
    return BedCell(
        bed=stay.bed,
        label=t.bed(stay.bed),
        empty=False,
        stay_id=stay.id,
        name=stay.name if full_names else mask_name(stay.name),
        level=stay.level,
        level_text=t(f"level.{stay.level.value}") if stay.level is not None else "",
        critical=stay.critical,
        critical_text=t(f"critical.{stay.critical.value}") if stay.critical else "",
        surgery=surgery,
        post_op_day=day,
        post_op_text=t("board.post_op_day", n=day) if day is not None else "",
        tags=tags,
        lines_over=tuple(lines),
        overdue=overdue,
        overdue_text=t("board.overdue_count", n=overdue) if overdue else "",
    )


def station_view(data: BoardData, t: Texts, *, full_names: bool) -> StationView:
    """The station screen for `data`, names masked unless `full_names`."""
    board = board_view(data, t, private=full_names)
    by_bed = {s.bed: s for s in data.active}
    cells = tuple(
        _cell(by_bed[bed], data, t, full_names=full_names)
        if bed in by_bed
        else BedCell(bed=bed, label=t.bed(bed), empty=True, empty_text=t("station.empty_bed"))
        for bed in station_beds(data.ward.bed_count, list(by_bed))
    )
    return StationView(
        ward=data.ward.name,
        now=data.now,
        title=board.title,
        census=board.census,
        cells=cells,
        sections=tuple(board.section(key) for key in STATION_SECTION_KEYS),
        reminders=board.section("board.sec.reminders").lines,
        updated=board.updated,
        full_names=full_names,
    )

"""The view models themselves: the station's bed cells and marks, the board's sections."""

import dataclasses
from datetime import UTC, datetime, timedelta

from boards.bedside.catalogue import Catalogue
from boards.bedside.view import assemble
from boards.board_data import BoardData, ReminderSummary
from boards.i18n import texts
from boards.model import (
    Age,
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    PatientLine,
    PatientTag,
    Sex,
    Stay,
    Surgery,
    SurgeryState,
    Ward,
)
from boards.tags import DEFAULT_TAGS
from boards.views.board import SECTION_KEYS, board_view
from boards.views.rich import Span, markup, plain
from boards.views.station import STATION_SECTION_KEYS, station_beds, station_view
from boards.views.telegram_html import line_html

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 Shanghai
WARD = Ward(1, "普外科一病区", "Asia/Shanghai", "zh_CN", NOW - timedelta(days=30), bed_count=6)
ZH, EN = texts("zh_CN"), texts("en")


def stay(id_: int, bed: str, name: str, **kw: object) -> Stay:
    fields: dict[str, object] = dict(
        id=id_,
        ward_id=1,
        bed=bed,
        name=name,
        sex=Sex.FEMALE,
        age=Age(67),
        diagnosis="胃癌",
        level=NursingLevel.TWO,
        admitted_at=NOW - timedelta(days=5),
        token=f"t{id_}",
    )
    fields.update(kw)
    return Stay(**fields)  # type: ignore[arg-type]


def ward_data() -> BoardData:
    """Bed 3: critical, level one, two days after surgery, bed-fall and allergy tags, a
    cannula on its sixth day (limit four), two overdue tasks. Bed 5: surgery at 15:00."""
    active = (
        stay(1, "3", "欧阳明华", critical=Critical.CRITICAL, level=NursingLevel.ONE),
        stay(2, "5", "张三", level=None),
        stay(3, "+1", "李四"),
    )
    surgeries = (
        Surgery(1, 1, NOW - timedelta(days=2), "胃大部切除术", SurgeryState.BACK, NOW),
        Surgery(2, 2, NOW + timedelta(hours=1), "腹腔镜胆囊切除术", SurgeryState.SCHEDULED, NOW),
    )
    tags = (
        PatientTag(1, 1, "bed_fall", None, NOW - timedelta(days=1), 9),
        PatientTag(2, 1, "allergy", "青霉素", NOW - timedelta(days=1), 9),
    )
    lines = (PatientLine(1, 1, "piv", "左前臂", NOW - timedelta(days=5), None, 9),)
    catalogue = Catalogue(DEFAULT_TAGS, DEFAULT_TAGS)
    bedside = assemble(WARD, active, catalogue, tags, lines, (), NOW)
    items = (BoardItem(1, 1, ItemKind.NOTE, NOW - timedelta(minutes=5), "明晨空腹抽血", 9),)
    return BoardData(
        WARD,
        NOW,
        active,
        (),
        surgeries,
        items,
        bedside=bedside,
        reminders=ReminderSummary(NOW + timedelta(minutes=30), 3, 4, 2),
        overdue_tasks={1: 2},
    )


def test_a_critical_post_op_patient_with_a_bed_fall_tag_and_an_overdue_task() -> None:
    view = station_view(ward_data(), ZH, full_names=False)
    cell = next(c for c in view.cells if c.bed == "3")
    assert (cell.label, cell.name, cell.empty) == ("3床", "欧**华", False)
    assert (cell.level, cell.level_text) == (NursingLevel.ONE, "一级护理")
    assert (cell.critical, cell.critical_text) == (Critical.CRITICAL, "病危")
    assert (cell.surgery, cell.post_op_day, cell.post_op_text) == (None, 2, "术后第2天")
    assert [(b.code, b.text) for b in cell.tags] == [("bed_fall", "防坠床"), ("allergy", "过敏")]
    assert all(b.colour.startswith("#") for b in cell.tags)
    # Allergens are patient data: masked views carry the badge only.
    assert all(b.detail is None for b in cell.tags)
    assert [(m.code, m.dwell_day) for m in cell.lines_over] == [("piv", 6)]
    assert cell.lines_over[0].text == "⚠外周静脉留置针 第6天"
    assert (cell.overdue, cell.overdue_text) == (2, "⚠ 逾期 2")


def test_full_names_show_the_name_and_the_allergens() -> None:
    view = station_view(ward_data(), ZH, full_names=True)
    cell = next(c for c in view.cells if c.bed == "3")
    assert cell.name == "欧阳明华"
    assert [b.detail for b in cell.tags] == [None, "青霉素"]


def test_every_bed_of_the_ward_has_a_cell_and_empty_beds_are_empty() -> None:
    view = station_view(ward_data(), ZH, full_names=False)
    assert [c.bed for c in view.cells] == ["1", "2", "3", "4", "5", "6", "+1"]
    empty = [c for c in view.cells if c.empty]
    assert [c.bed for c in empty] == ["1", "2", "4", "6"]
    assert all(c.empty_text == "空床" and not c.name and not c.tags for c in empty)
    assert next(c for c in view.cells if c.bed == "+1").label == "加1床"


def test_a_surgery_today_shows_its_time_and_state() -> None:
    cell = next(c for c in station_view(ward_data(), EN, full_names=False).cells if c.bed == "5")
    assert cell.surgery is not None and cell.surgery.state is SurgeryState.SCHEDULED
    assert cell.surgery.text.startswith("15:00 ")
    assert (cell.post_op_day, cell.level, cell.level_text, cell.overdue) == (None, None, "", 0)


def test_station_census_sections_and_reminder_area() -> None:
    view = station_view(ward_data(), ZH, full_names=False)
    assert plain(view.census[0]).endswith("现有 3")
    assert Span("3", strong=True) in view.census[0]
    assert [s.key for s in view.sections] == list(STATION_SECTION_KEYS)
    notes = next(s for s in view.sections if s.key == "board.sec.notes")
    assert [plain(line) for line in notes.lines] == ["3床 欧**华 明晨空腹抽血"]
    assert len(view.reminders) == 1 and "⚠ 逾期 2" in plain(view.reminders[0])


def test_a_ward_without_a_bed_count_shows_its_occupied_beds() -> None:
    data = dataclasses.replace(ward_data(), ward=dataclasses.replace(WARD, bed_count=None))
    assert [c.bed for c in station_view(data, ZH, full_names=False).cells] == ["3", "5", "+1"]
    assert station_beds(2, ["+2", "7", "1"]) == ["1", "2", "7", "+2"]


def test_board_view_has_every_section_in_order_with_marks_as_spans() -> None:
    view = board_view(ward_data(), ZH, private=False)
    assert [s.key for s in view.sections] == list(SECTION_KEYS)
    (critical,) = view.section("board.sec.critical").lines
    assert critical == (Span("3床", strong=True), Span(" 欧**华"), Span(" "), Span("病危", True))
    (line,) = view.section("board.sec.lines").lines
    assert line[-1].strong and plain(line).endswith("⚠外周静脉留置针 第6天")
    tally, beds = view.section("board.sec.tags").lines
    assert plain(tally) == "防坠床 1 · 过敏 1" and "青霉素" not in plain(beds)
    assert "青霉素" in plain(
        board_view(ward_data(), ZH, private=True).section("board.sec.tags").lines[1]
    )


def test_markup_reads_catalogue_bold_and_entities_and_html_writes_them_back() -> None:
    line = markup("📋 <b>A &amp; B &lt;x&gt;</b> 白板")
    assert line == (Span("📋 "), Span("A & B <x>", strong=True), Span(" 白板"))
    assert line_html(line) == "📋 <b>A &amp; B &lt;x&gt;</b> 白板"
    # Adjacent strong runs are one <b>; empty spans vanish.
    assert line_html((Span("a", True), Span(""), Span("b", True), Span(" c"))) == "<b>ab</b> c"

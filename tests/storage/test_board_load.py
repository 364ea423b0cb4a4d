"""The board's data loaded from a real database carries what the station's bed cells show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boards import bedside, services, tasks
from boards.access import Actor
from boards.board_load import load_board
from boards.clock import ManualClock
from boards.i18n import texts
from boards.model import Age, Critical, Sex
from boards.schedule import Frequency, Route
from boards.tasks import MedArgs
from boards.views.station import station_view
from storage import Database
from tests.storage.factories import create_ward

__all__: list[str] = []

NOW = datetime(2025, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in the ward
HEAD = Actor(7_123_456_789, "李护士长")


async def test_overdue_tasks_tags_and_lines_reach_the_station_cells(database: Database) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, HEAD, bed_count=6)
        for bed, name in (("2", "欧阳明华"), ("5", "张三")):
            await services.admit(
                uow, clock, actor=HEAD, ward=ward, bed=bed, name=name, sex=Sex.FEMALE, age=Age(70)
            )
        await services.set_critical(
            uow, clock, actor=HEAD, ward=ward, bed="2", critical=Critical.CRITICAL
        )
        await bedside.tag_patient(uow, clock, actor=HEAD, ward=ward, bed="2", word="防坠床")
        await bedside.add_line(
            uow, clock, actor=HEAD, ward=ward, bed="2", word="留置针",
            inserted_at=NOW - timedelta(days=5),
        )  # fmt: skip
        med = MedArgs(drug="头孢呋辛", dose="1.5g", route=Route.IVGTT, freq=Frequency.BID)
        await tasks.prescribe(uow, clock, actor=HEAD, ward=ward, bed="2", args=med)
        await uow.commit()

    clock.set(NOW + timedelta(hours=6))  # the 15:00 dose is hours past its window
    async with database.uow() as uow:
        data = await load_board(uow, clock, ward=ward)
    assert data.reminders is not None and data.reminders.overdue_count >= 1
    two = next(s for s in data.active if s.bed == "2")
    assert data.overdue_tasks == {two.id: data.reminders.overdue_count}

    cells = {c.bed: c for c in station_view(data, texts("zh_CN"), full_names=False).cells}
    assert [b for b, c in cells.items() if c.empty] == ["1", "3", "4", "6"]
    two_cell, five_cell = cells["2"], cells["5"]
    assert (two_cell.name, two_cell.critical_text) == ("欧**华", "病危")
    assert [b.text for b in two_cell.tags] == ["防坠床"]
    assert [m.code for m in two_cell.lines_over] == ["piv"]
    assert two_cell.overdue == data.reminders.overdue_count
    assert two_cell.overdue_text == f"⚠ 逾期 {two_cell.overdue}"
    assert (five_cell.overdue, five_cell.tags, five_cell.lines_over) == (0, (), ())

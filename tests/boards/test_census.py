"""Census files: encodings, headers in any order and language, cells checked, the plan's rules."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from boards import census
from boards.access import Actor
from boards.clock import ManualClock
from boards.errors import BadInput
from boards.i18n import texts
from boards.model import Age, NursingLevel, Sex
from storage import Database
from tests.storage.factories import create_ward, stay

__all__: list[str] = []

TZ = ZoneInfo("Asia/Shanghai")
# 2026-11-23 00:30 in Shanghai, 16:30 the day before in UTC: ages count the ward's day.
NOW = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
ZH = texts("zh_CN")
HEADER = "床号,姓名,性别,年龄,住院号,诊断,护理级别,入院时间\n"


def _rows(text: str, encoding: str = "utf-8") -> census.CensusTable:
    cells = census.read_table(text.encode(encoding), "a.csv")
    return census.read_rows(cells, tz=TZ, now=NOW, bed_count=40)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_the_encodings_hospital_exports_use_are_detected(encoding: str) -> None:
    table = _rows(HEADER + "12,欧阳娜娜,女,45,ZY001,急性阑尾炎,二级,2026-11-20 09:30\n", encoding)
    assert table.errors == () and table.ignored == ()
    (row,) = table.rows
    assert (row.row, row.bed, row.name, row.sex, row.age) == (
        2,
        "12",
        "欧阳娜娜",
        Sex.FEMALE,
        Age(45),
    )
    assert (row.admission_no, row.diagnosis, row.level) == (
        "ZY001",
        "急性阑尾炎",
        NursingLevel.TWO,
    )
    assert row.admitted_at == datetime(2026, 11, 20, 9, 30, tzinfo=TZ)


def test_columns_in_any_order_in_either_language_unknown_ones_listed() -> None:
    table = _rows("科室,MRN,Sex,Name,Bed No,备注,Age\n普外,A9,M,张三,+1,,3月\n")
    assert table.ignored == ("科室", "备注")
    (row,) = table.rows
    assert (row.bed, row.name, row.sex, row.age, row.admission_no) == (
        "+1",
        "张三",
        Sex.MALE,
        Age(3, "m"),
        "A9",
    )


def test_tabs_and_semicolons_and_blank_lines() -> None:
    table = _rows("\n床号\t姓名\t性别\t年龄\n\n12\t张三\t男\t45\n")
    assert [r.row for r in table.rows] == [4]
    assert _rows("床号;姓名;性别;年龄\n12;张三;男;45\n").rows[0].name == "张三"


def test_age_from_the_birth_date_in_the_wards_timezone() -> None:
    # In UTC it is still the 22nd; in Shanghai the 23rd, her birthday.
    table = _rows(
        "床号,姓名,性别,出生日期\n1,甲,女,1980-11-23\n2,乙,男,2026年9月1日\n3,丙,男,20261120\n"
    )
    assert [r.age for r in table.rows] == [Age(46), Age(2, "m"), Age(3, "d")]
    assert census.age_at(date(2000, 2, 29), date(2001, 2, 28)) == Age(11, "m")


def test_every_bad_cell_is_named_by_row_and_column() -> None:
    table = _rows(
        HEADER + "12,张三,男,五十,,,,\n" + "99,李四,未知,40,A 1,,五级,明天\n" + ",王五,女,30,,,,\n"
    )
    assert table.rows == ()
    lines = census.error_lines(table.errors, ZH)
    assert lines == [
        "第2行 年龄「五十」无法识别",
        "第3行 床号「99」无法识别",
        "第3行 性别「未知」无法识别",
        "第3行 住院号「A 1」无法识别",
        "第3行 护理级别「五级」无法识别",
        "第3行 入院时间「明天」无法识别",
        "第4行 床号为空",
    ]
    en = census.error_lines(table.errors[:1], texts("en"))
    assert en == ["Row 2: 年龄 “五十” not understood"]


def test_missing_columns_are_named() -> None:
    (error,) = _rows("姓名,年龄\n张三,45\n").errors
    assert census.error_lines([error], ZH) == [
        "第1行 缺少必需的列：床号、性别（表头可用中文或英文，例如 床号/bed、姓名/name、"
        "性别/sex、年龄/age 或 出生日期/birth date）。"
    ]
    assert "年龄或出生日期" in census.error_lines(_rows("床号,姓名,性别\n").errors, ZH)[0]


def test_files_that_are_not_a_census_are_refused() -> None:
    for data, name, key in (
        (b"", "a.csv", "census.err_empty"),
        (b"\xd0\xcf\x11\xe0 old excel", "a.xls", "census.err_format"),
        (b"PK\x03\x04 not a workbook", "a.xlsx", "census.err_format"),
        (b"x" * (census.files.MAX_BYTES + 1), "a.csv", "census.err_too_big"),
    ):
        with pytest.raises(BadInput) as refused:
            census.read_table(data, name)
        assert refused.value.key == key


def test_an_xlsx_reads_numbers_and_dates_as_a_clerk_typed_them() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["床号", "姓名", "性别", "出生日期", "住院号", "入院时间"])
    sheet.append(
        [12, "张三", "男", datetime(1980, 1, 2), 20250001.0, datetime(2026, 11, 20, 8, 5)]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    cells = census.read_table(buffer.getvalue(), "x.xlsx")
    assert cells[1] == ["12", "张三", "男", "1980-01-02", "20250001", "2026-11-20 08:05"]


# --- the plan, on both backends ------------------------------------------------------------

ACTOR = Actor(7, "李娜")


async def test_matching_is_by_admission_number_never_by_name(database: Database) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, ACTOR)
        a1 = await uow.stays.add(
            dataclasses.replace(stay(ward.id, "1", name="张三"), admission_no="A1")
        )
        manual = await uow.stays.add(stay(ward.id, "2", name="李四"))
        other = await uow.stays.add(stay(ward.id, "3", name="王五"))
        left = await uow.stays.add(
            dataclasses.replace(stay(ward.id, "4", name="赵六"), admission_no="A4")
        )
        table = _rows(
            "床号,姓名,性别,年龄,住院号\n"
            # A1 renamed in the HIS: the same patient (her number), the new name kept.
            "1,张三丰,男,67,A1\n"
            # The manual 李四 with no number: the file's number is recorded on her.
            "2,李四,男,67,B2\n"
            # No number either side, same name: unchanged.
            "3,王五,男,67,\n"
            # A new patient in an empty bed.
            "5,钱七,女,30,A5\n"
        )
        plan = await census.plan_census(uow, ward=ward, table=table)
        assert plan.ok
        assert [r.bed for r in plan.admit] == ["5"]
        assert [(u.stay.id, u.fields) for u in plan.update] == [
            (a1.id, ("name",)),
            (manual.id, ("admission_no",)),
        ]
        assert [s.id for s in plan.unchanged] == [other.id]
        assert [s.id for s in plan.missing] == [left.id]
        result = await census.apply_census(uow, clock, actor=ACTOR, ward=ward, plan=plan)
        await uow.commit()
    assert len(result.admitted) == 1 and len(result.updated) == 2
    async with database.uow() as uow:
        by_bed = {s.bed: s for s in await uow.stays.active(ward.id)}
        assert (by_bed["1"].name, by_bed["2"].admission_no) == ("张三丰", "B2")
        assert by_bed["4"].active  # not listed: still there
        audit = await uow.audit.of_ward(ward.id)
    assert [e.after["source"] for e in audit if e.after and "source" in e.after] == ["import"] * 3


async def test_a_bed_held_by_someone_else_is_an_error(database: Database) -> None:
    clock = ManualClock(NOW)
    async with database.uow() as uow:
        ward = await create_ward(uow, clock, ACTOR)
        await uow.stays.add(stay(ward.id, "2", name="李四"))
        await uow.stays.add(
            dataclasses.replace(stay(ward.id, "3", name="王五"), admission_no="C3")
        )
        table = _rows(
            "床号,姓名,性别,年龄,住院号\n"
            "2,孙八,男,50,B2\n"  # another name, and 李四 has no number: not taken for her
            "3,王五,男,67,\n"  # no number, but 王五 has one: no match without it
            "4,周九,男,50,D4\n"
            "4,吴十,男,50,D5\n"
        )
        plan = await census.plan_census(uow, ward=ward, table=table)
        assert not plan.ok
        assert census.error_lines(plan.errors, ZH) == [
            "第2行 2床现有另一位患者（无住院号），与本行不符：请先核对并处理该床",
            "第3行 3床仍住着住院号 C3 的患者，文件未把她转到别的床：请先出院或转床",
            "第5行 4床在第4行已出现",
        ]
        with pytest.raises(BadInput):
            await census.apply_census(uow, clock, actor=ACTOR, ward=ward, plan=plan)


@pytest.mark.parametrize(
    "words",
    [
        ["12", "张三", "男", "45", "阑尾炎", "一级", "住院号:A123"],
        ["12", "张三", "男", "45", "住院号：A123", "阑尾炎", "一级"],
        ["12", "张三", "男", "45", "阑尾炎", "MRN:A123", "一级"],
        ["12", "张三", "男", "45", "阑尾炎", "一级", "mrn=A123"],
        ["12", "张三", "男", "45", "阑尾炎", "住院号:", "A123", "一级"],
    ],
)
def test_admit_takes_the_admission_number_anywhere_after_the_age(words: list[str]) -> None:
    from boards.commands import parse_admit

    args = parse_admit(words, bed_count=40)
    assert (args.admission_no, args.diagnosis, args.level) == ("A123", "阑尾炎", NursingLevel.ONE)


def test_admit_refuses_a_bad_or_second_admission_number() -> None:
    from boards.commands import parse_admit

    with pytest.raises(BadInput) as bad:
        parse_admit(["12", "张三", "男", "45", "住院号:A 1"], bed_count=40)
    assert bad.value.key == "err.admission_no_form"
    with pytest.raises(BadInput) as twice:
        parse_admit(["12", "张三", "男", "45", "住院号:A1", "MRN:A2"], bed_count=40)
    assert twice.value.key == "err.extra_args"
    assert parse_admit(["12", "张三", "男", "45"], bed_count=40).admission_no is None

"""The ward's census and today's board as CSV files (UTF-8 with BOM, so Excel reads Chinese)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from boards.board_data import BoardData
from boards.i18n import Texts
from boards.model import Age, NursingLevel, Sex, Stay, SurgeryState

__all__ = ["CENSUS_HEADER", "board_csv", "census_csv"]

# The import's own headers: an exported census imports back unchanged.
CENSUS_HEADER = (
    "床号",
    "姓名",
    "性别",
    "年龄",
    "住院号",
    "诊断",
    "护理级别",
    "入院时间",
    "病情",
    "就诊号",
)
_BOARD_HEADER = ("床号", "姓名", "类别", "时间", "内容", "状态")
_SEX = {Sex.MALE: "男", Sex.FEMALE: "女"}
_LEVEL = {
    NursingLevel.SPECIAL: "特级",
    NursingLevel.ONE: "一级",
    NursingLevel.TWO: "二级",
    NursingLevel.THREE: "三级",
}
_AGE_UNIT = {"y": "", "m": "月", "d": "天"}


def _age(age: Age) -> str:
    return f"{age.value}{_AGE_UNIT.get(age.unit, '')}"


def _safe(value: str) -> str:
    # A cell starting with = or @ is a formula to a spreadsheet: a typed note must stay text.
    # (+1 and -2 are beds and numbers: a sign followed by a digit is left alone.)
    if value[:1] in ("=", "@", "\t", "\r") or (
        value[:1] in ("+", "-") and not value[1:2].isdigit()
    ):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def census_csv(stays: Sequence[Stay], t: Texts) -> bytes:
    """One row per active patient, in bed order, with the hospital identifiers."""
    rows = [
        (
            s.bed,
            s.name,
            _SEX[s.sex],
            _age(s.age),
            s.admission_no or "",
            s.diagnosis or "",
            _LEVEL[s.level] if s.level else "",
            t.local(s.admitted_at).strftime("%Y-%m-%d %H:%M"),
            t(f"critical.{s.critical.value}") if s.critical else "",
            s.visit_no or "",
        )
        for s in stays
    ]
    return _csv(CENSUS_HEADER, rows)


def board_csv(data: BoardData, t: Texts) -> bytes:
    """Today's board: surgeries, operations, examinations and notes, and who left today."""
    by_id = {s.id: s for s in (*data.active, *data.ended_today)}
    rows: list[tuple[str, str, str, str, str, str]] = []
    for op in sorted(data.surgeries, key=lambda o: o.scheduled_at):
        stay = by_id.get(op.stay_id)
        today = t.local(op.scheduled_at).date() == t.local(data.now).date()
        if stay is None or op.state is SurgeryState.CANCELLED or not today:
            continue
        when = t.local(op.scheduled_at).strftime("%H:%M")
        state = t(f"surgery.{op.state.value}")
        rows.append((stay.bed, stay.name, t("export.surgery"), when, op.procedure, state))
    for item in sorted(data.items_today, key=lambda i: i.at):
        stay = by_id.get(item.stay_id)
        if stay is None:
            continue
        when = t.local(item.at).strftime("%H:%M")
        rows.append((stay.bed, stay.name, t(f"export.{item.kind.value}"), when, item.text, ""))
    for stay in data.ended_today:
        when = t.local(stay.ended_at).strftime("%H:%M") if stay.ended_at else ""
        rows.append((stay.bed, stay.name, t(f"export.{stay.status.value}"), when, "", ""))
    return _csv(_BOARD_HEADER, rows)

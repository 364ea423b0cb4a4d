"""A census table read into typed rows: columns by Chinese or English header, errors by cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.model import Age, NursingLevel, Sex
from boards.parsing import (
    MAX_TEXT,
    check_text,
    parse_admission_no,
    parse_age,
    parse_bed,
    parse_level,
    parse_name,
    parse_sex,
)
from boards.text import clean_text, excerpt, fold_traditional

__all__ = [
    "COLUMNS",
    "CensusRow",
    "CensusTable",
    "RowError",
    "age_at",
    "read_rows",
]

# Each column the import knows, by the headers hospital exports use (folded to lower case,
# spaces and punctuation dropped). Anything else is ignored and listed in the summary.
COLUMNS: dict[str, tuple[str, ...]] = {
    "bed": ("床号", "床位", "床位号", "床", "bed", "bedno", "bednumber"),
    "name": ("姓名", "患者姓名", "病人姓名", "name", "patientname", "patient"),
    "sex": ("性别", "sex", "gender"),
    "age": ("年龄", "age"),
    "birth": ("出生日期", "出生年月日", "生日", "birthdate", "dateofbirth", "dob", "birthday"),
    "admission_no": (
        "住院号",
        "病案号",
        "admissionno",
        "admissionnumber",
        "mrn",
        "inpatientno",
    ),
    "visit_no": ("就诊号", "就诊流水号", "visitno", "visitnumber", "encounterno"),
    "diagnosis": ("诊断", "入院诊断", "diagnosis"),
    "level": ("护理级别", "护理等级", "nursinglevel", "level", "carelevel"),
    "admitted_at": ("入院时间", "入院日期", "admittedat", "admissiondate", "admitted"),
}
_HEADER_NOISE = re.compile(r"[\s_\-./:：()（）]+")
_BY_HEADER = {word: key for key, words in COLUMNS.items() for word in words}

_DATE = re.compile(
    r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"(?:[\sT]+(\d{1,2})[:：时](\d{2})(?:[:：](\d{2}))?(?:\.\d+)?分?)?"
)


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong at one row of the file (its spreadsheet number: the header is row 1)."""

    row: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CensusRow:
    """One patient of the file; None where the file gives nothing (the ward's value stays)."""

    row: int
    bed: str
    name: str
    sex: Sex
    age: Age
    admission_no: str | None = None
    diagnosis: str | None = None
    level: NursingLevel | None = None
    admitted_at: datetime | None = None
    visit_no: str | None = None


@dataclass(frozen=True, slots=True)
class CensusTable:
    rows: tuple[CensusRow, ...]
    errors: tuple[RowError, ...]
    # Headers the import does not know, as written in the file.
    ignored: tuple[str, ...]


def _header_key(text: str) -> str | None:
    folded = _HEADER_NOISE.sub("", fold_traditional(clean_text(text)).lower())
    return _BY_HEADER.get(folded)


def _parse_when(text: str, tz: ZoneInfo) -> datetime:
    m = _DATE.fullmatch(clean_text(text))
    if not m:
        raise ValueError(text)
    year = int(m.group(1))
    month, day = (int(m.group(2)), int(m.group(3))) if m.group(2) else (int(m[4]), int(m[5]))
    clock = time(int(m.group(6)), int(m.group(7)), int(m.group(8) or 0)) if m.group(6) else time()
    return datetime.combine(date(year, month, day), clock, tzinfo=tz)


def age_at(birth: date, today: date) -> Age:
    """The age a ward writes on the board: years, months under one, days under a month."""
    months = (today.year - birth.year) * 12 + today.month - birth.month
    if today.day < birth.day:
        months -= 1
    if months >= 12:
        return Age(months // 12)
    if months >= 1:
        return Age(months, "m")
    return Age(max((today - birth).days, 0), "d")


def _birth_age(text: str, tz: ZoneInfo, now: datetime) -> Age:
    born = _parse_when(text, tz).date()
    today = now.astimezone(tz).date()
    if born > today:
        raise ValueError(text)
    age = age_at(born, today)
    if age.unit == "y" and age.value > 130:
        raise ValueError(text)
    return age


def read_rows(
    table: Sequence[Sequence[str]], *, tz: ZoneInfo, now: datetime, bed_count: int | None
) -> CensusTable:
    """The rows of a census table (header first); every cell checked, every error kept."""
    lines = [list(r) for r in table]
    # Rows keep the spreadsheet's numbers (the first line is 1), blank ones included.
    skipped = 0
    while skipped < len(lines) and not any(clean_text(c) for c in lines[skipped]):
        skipped += 1
    if skipped == len(lines):
        return CensusTable((), (RowError(1, "census.err_empty"),), ())
    header = lines[skipped]
    where: dict[str, int] = {}
    names: dict[str, str] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        key = _header_key(text)
        if key is None:
            if clean_text(text):
                ignored.append(excerpt(clean_text(text), 20))
        elif key not in where:
            where[key] = index
            names[key] = clean_text(text)
    missing = [k for k in ("bed", "name", "sex") if k not in where]
    if "age" not in where and "birth" not in where:
        missing.append("age_or_birth")
    if missing:
        # Named by field (census.field_*), in the reader's language, by the summary.
        error = RowError(skipped + 1, "census.err_columns", {"fields": tuple(missing)})
        return CensusTable((), (error,), tuple(ignored))
    rows: list[CensusRow] = []
    errors: list[RowError] = []
    for number, line in enumerate(lines[skipped + 1 :], start=skipped + 2):
        if not any(clean_text(c) for c in line):
            continue
        row, row_errors = _read_row(
            number, line, where, names, tz=tz, now=now, bed_count=bed_count
        )
        errors += row_errors
        if row is not None:
            rows.append(row)
    return CensusTable(tuple(rows), tuple(errors), tuple(ignored))


def _read_row(
    number: int,
    line: Sequence[str],
    where: dict[str, int],
    names: dict[str, str],
    *,
    tz: ZoneInfo,
    now: datetime,
    bed_count: int | None,
) -> tuple[CensusRow | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(key: str) -> str:
        index = where.get(key)
        return clean_text(line[index]) if index is not None and index < len(line) else ""

    def bad(key: str, value: str) -> None:
        errors.append(
            RowError(
                number, "census.err_cell", {"column": names[key], "value": excerpt(value, 20)}
            )
        )

    def need(key: str) -> str | None:
        value = cell(key)
        if not value:
            errors.append(RowError(number, "census.err_blank", {"column": names[key]}))
            return None
        return value

    bed = name = sex = age = None
    if (text := need("bed")) is not None:
        try:
            bed = parse_bed(text, bed_count=bed_count)
        except BadInput:
            bad("bed", text)
    if (text := need("name")) is not None:
        try:
            name = parse_name(text)
        except BadInput:
            bad("name", text)
    if (text := need("sex")) is not None:
        try:
            sex = parse_sex(text)
        except BadInput:
            bad("sex", text)
    if cell("age"):
        try:
            age = parse_age(cell("age"))
        except BadInput:
            bad("age", cell("age"))
    elif cell("birth"):
        try:
            age = _birth_age(cell("birth"), tz, now)
        except ValueError:
            bad("birth", cell("birth"))
    else:
        need("age" if "age" in where else "birth")
    admission_no = visit_no = diagnosis = level = admitted_at = None
    if text := cell("admission_no"):
        try:
            admission_no = parse_admission_no(text)
        except BadInput:
            bad("admission_no", text)
    if text := cell("visit_no"):
        try:
            visit_no = parse_admission_no(text)
        except BadInput:
            bad("visit_no", text)
    if text := cell("diagnosis"):
        try:
            diagnosis = check_text(text, limit=MAX_TEXT)
        except BadInput:
            bad("diagnosis", text)
    if text := cell("level"):
        level = parse_level(text)
        if level is None:
            bad("level", text)
    if text := cell("admitted_at"):
        try:
            admitted_at = _parse_when(text, tz)
        except ValueError:
            bad("admitted_at", text)
        else:
            if admitted_at > now:
                bad("admitted_at", text)
    if errors or bed is None or name is None or sex is None or age is None:
        return None, errors
    row = CensusRow(
        number, bed, name, sex, age, admission_no, diagnosis, level, admitted_at, visit_no
    )
    return row, []

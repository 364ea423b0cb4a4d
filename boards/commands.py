"""Argument parsing for the ward commands: words in, typed requests out, or a BadInput."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.model import Age, Critical, ItemKind, NursingLevel, Sex, SurgeryState
from boards.parsing import (
    MAX_TEXT,
    check_text,
    parse_admission_no,
    parse_age,
    parse_bed,
    parse_critical,
    parse_level,
    parse_name,
    parse_sex,
)
from boards.text import clean_text, excerpt, fold_traditional
from boards.when import take_when

__all__ = [
    "AdmitArgs",
    "ItemArgs",
    "SurgeryArgs",
    "SurgeryStateArgs",
    "parse_admit",
    "parse_bed_only",
    "parse_critical_args",
    "parse_item",
    "parse_move",
    "parse_surgery",
]


@dataclass(frozen=True, slots=True)
class AdmitArgs:
    bed: str
    name: str
    sex: Sex
    age: Age
    diagnosis: str | None
    level: NursingLevel | None
    # 住院号 / MRN, given as `住院号:A123` or `MRN:A123` anywhere after the age.
    admission_no: str | None = None


@dataclass(frozen=True, slots=True)
class SurgeryArgs:
    bed: str
    at: datetime
    procedure: str


@dataclass(frozen=True, slots=True)
class SurgeryStateArgs:
    bed: str
    state: SurgeryState


@dataclass(frozen=True, slots=True)
class ItemArgs:
    bed: str
    kind: ItemKind
    text: str
    at: datetime | None


def _visible(args: Sequence[str]) -> list[str]:
    # A word made only of invisible characters is not one the nurse sees: skip it, so
    # `/admit 12 \u200b 张三 …` reads as she sees it. The rest stay as typed: each parser
    # cleans its own (and a bed refuses what holds invisible characters).
    return [a for a in args if clean_text(a)]


def _need(args: Sequence[str], count: int) -> None:
    if len(args) < count:
        raise BadInput("err.missing_args")


def parse_bed_only(args: Sequence[str], *, bed_count: int | None) -> str:
    args = _visible(args)
    _need(args, 1)
    if len(args) > 1:
        raise BadInput("err.extra_args")
    return parse_bed(args[0], bed_count=bed_count)


# `住院号:A123`, `住院号：A123` (full-width colon), `MRN:A123`, `mrn=A123`.
_ADMISSION_WORD = re.compile(r"(?:住院号|住院號|mrn)\s*[:：=]\s*(.*)", re.IGNORECASE | re.DOTALL)


def _take_admission_no(args: list[str]) -> tuple[list[str], str | None]:
    found: str | None = None
    rest: list[str] = []
    words = iter(args)
    for word in words:
        m = _ADMISSION_WORD.fullmatch(clean_text(word))
        if m is None:
            rest.append(word)
            continue
        if found is not None:
            raise BadInput("err.extra_args")
        # `住院号: A123`: the number may be the next word.
        found = parse_admission_no(m.group(1) or next(words, ""))
    return rest, found


def parse_admit(args: Sequence[str], *, bed_count: int | None) -> AdmitArgs:
    """`床号 姓名 性别 年龄 [诊断…] [护理级别] [住院号:A123]`: the level, if any, is the
    last word but the admission number."""
    args, admission_no = _take_admission_no(_visible(args))
    _need(args, 4)
    bed = parse_bed(args[0], bed_count=bed_count)
    name = parse_name(args[1])
    sex = parse_sex(args[2])
    age = parse_age(args[3])
    rest = list(args[4:])
    level = parse_level(rest[-1]) if rest else None
    if level is not None:
        rest.pop()
    diagnosis = check_text(" ".join(rest), limit=MAX_TEXT) if rest else None
    return AdmitArgs(bed, name, sex, age, diagnosis, level, admission_no)


def parse_move(args: Sequence[str], *, bed_count: int | None) -> tuple[str, str]:
    args = _visible(args)
    _need(args, 2)
    if len(args) > 2:
        raise BadInput("err.extra_args")
    return parse_bed(args[0], bed_count=bed_count), parse_bed(args[1], bed_count=bed_count)


def _split_when(args: Sequence[str], *, now: datetime, tz: ZoneInfo) -> tuple[datetime, list[str]]:
    """The time at the front of the words (boards.when): `14:30`, `明天 下午 3点`, `30分钟后`."""
    found = take_when(args, now=now, tz=tz)
    if found is None:
        raise BadInput("err.time_form", value=excerpt(args[0] if args else ""))
    when, used = found
    return when, list(args[used:])


_SURGERY_WORDS = {
    "in": SurgeryState.IN_THEATRE,
    "入室": SurgeryState.IN_THEATRE,
    "接走": SurgeryState.IN_THEATRE,
    "进手术室": SurgeryState.IN_THEATRE,
    "back": SurgeryState.BACK,
    "返回": SurgeryState.BACK,
    "回室": SurgeryState.BACK,
    "返室": SurgeryState.BACK,
    "回病房": SurgeryState.BACK,
    "cancel": SurgeryState.CANCELLED,
    "取消": SurgeryState.CANCELLED,
}


def parse_surgery(
    args: Sequence[str], *, bed_count: int | None, now: datetime, tz: ZoneInfo
) -> SurgeryArgs | SurgeryStateArgs:
    """`床号 时间 术式` books a surgery; `床号 入室|返回|取消` moves it along."""
    args = _visible(args)
    _need(args, 2)
    bed = parse_bed(args[0], bed_count=bed_count)
    state = _SURGERY_WORDS.get(fold_traditional(clean_text(args[1])).lower())
    if state is not None and (len(args) == 2 or take_when(args[1:], now=now, tz=tz) is None):
        # "in" moves a surgery along, unless it starts a time: /surgery 12 in 2 hours 阑尾切除术
        if len(args) > 2:
            raise BadInput("err.extra_args")
        return SurgeryStateArgs(bed, state)
    when, rest = _split_when(args[1:], now=now, tz=tz)
    if not rest:
        raise BadInput("err.missing_args")
    return SurgeryArgs(bed, when, check_text(" ".join(rest)))


def parse_critical_args(
    args: Sequence[str], *, bed_count: int | None
) -> tuple[str, Critical | None]:
    args = _visible(args)
    _need(args, 2)
    if len(args) > 2:
        raise BadInput("err.extra_args")
    return parse_bed(args[0], bed_count=bed_count), parse_critical(args[1])


def parse_item(
    args: Sequence[str], kind: ItemKind, *, bed_count: int | None, now: datetime, tz: ZoneInfo
) -> ItemArgs:
    """`床号 内容` for operations and notes; `床号 时间 检查` for off-ward examinations."""
    args = _visible(args)
    _need(args, 2)
    bed = parse_bed(args[0], bed_count=bed_count)
    if kind is ItemKind.EXAM:
        when, rest = _split_when(args[1:], now=now, tz=tz)
        if not rest:
            raise BadInput("err.missing_args")
        return ItemArgs(bed, kind, check_text(" ".join(rest)), when)
    return ItemArgs(bed, kind, check_text(" ".join(args[1:])), None)

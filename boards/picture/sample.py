"""A made-up busy ward (60 beds by default) for the picture's benchmark, tests and screenshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boards.board_data import (
    BedsideInfo,
    BedsideLine,
    BedsideTag,
    BoardData,
    ReminderSummary,
    SignStatus,
)
from boards.lines import DEFAULT_LINES
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

__all__ = ["SAMPLE_NOW", "sample_board"]

SAMPLE_NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai, a Monday

_SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
_GIVEN = ("伟", "芳", "秀英", "建国", "丽", "海燕", "志强", "桂兰", "明", "婷婷", "德华", "晓")
_TAG_CODES = (
    "fall",
    "bed_fall",
    "allergy",
    "line_dislodgement",
    "pressure_injury",
    "isolation_contact",
    "nil_by_mouth",
    "bleeding",
)
_LEVELS = (
    NursingLevel.TWO,
    NursingLevel.ONE,
    NursingLevel.THREE,
    NursingLevel.TWO,
    NursingLevel.ONE,
    NursingLevel.SPECIAL,
)
_TAGS = {t.code: t for t in DEFAULT_TAGS}
_LINES = {k.code: k for k in DEFAULT_LINES}


def _name(n: int) -> str:
    name = _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n * 7) % len(_GIVEN)]
    return "欧阳" + name[1:] if n % 17 == 0 else name


def sample_board(beds: int = 60, *, empty_every: int = 9, now: datetime = SAMPLE_NOW) -> BoardData:
    """A busy ward: most beds taken, every kind of mark somewhere, lists in the panel."""
    ward = Ward(1, "普外科一病区", "Asia/Shanghai", "zh_CN", now - timedelta(days=400), beds)
    stays: list[Stay] = []
    surgeries: list[Surgery] = []
    items: list[BoardItem] = []
    bedside: dict[int, BedsideInfo] = {}
    for bed in range(1, beds + 1):
        if empty_every and bed % empty_every == 0:
            continue
        sid = bed
        admitted = now - timedelta(days=bed % 6, hours=bed % 5)
        stay = Stay(
            id=sid,
            ward_id=1,
            bed=str(bed),
            name=_name(bed),
            sex=Sex.MALE if bed % 2 else Sex.FEMALE,
            age=Age(30 + (bed * 7) % 55),
            diagnosis="胆囊结石" if bed % 3 else "腹股沟疝",
            level=_LEVELS[bed % len(_LEVELS)] if bed % 11 else None,
            admitted_at=admitted,
            token=f"t{bed}",
            critical=Critical.CRITICAL
            if bed % 19 == 0
            else (Critical.SERIOUS if bed % 13 == 0 else None),
        )
        stays.append(stay)
        if bed % 5 == 0:
            surgeries.append(
                Surgery(
                    bed,
                    sid,
                    now + timedelta(hours=bed % 4),
                    "腹腔镜胆囊切除术",
                    SurgeryState.SCHEDULED,
                    now,
                )
            )
        elif bed % 7 == 0:
            surgeries.append(
                Surgery(
                    bed, sid, now - timedelta(days=bed % 4 + 1), "疝修补术", SurgeryState.BACK, now
                )
            )
        tags = tuple(
            BedsideTag(
                _TAGS[code],
                PatientTag(
                    bed * 10 + i, sid, code, "青霉素" if code == "allergy" else None, admitted, 1
                ),
            )
            for i, code in enumerate(
                _TAG_CODES[(bed + j) % len(_TAG_CODES)] for j in range(bed % 4)
            )
        )
        lines = tuple(
            BedsideLine(
                i + 1,
                _LINES[code],
                PatientLine(bed * 10 + i, sid, code, None, admitted, None, 1),
                dwell_day=bed % 6 + 1,
                overdue=bed % 8 == 0 and i == 0,
                due_at=None,
            )
            for i, code in enumerate(("piv", "urinary", "drain")[: bed % 3])
        )
        bedside[sid] = BedsideInfo(
            sid,
            tags,
            lines,
            sign=SignStatus.CURRENT if bed % 6 else SignStatus.MISSING,
            printed_at=None,
            fingerprint="",
        )
        if bed % 10 == 3:
            items.append(BoardItem(bed, sid, ItemKind.NOTE, now, "明晨空腹抽血", 1))
        if bed % 12 == 4:
            items.append(
                BoardItem(
                    100 + bed, sid, ItemKind.EXAM, now + timedelta(hours=1), "CT 增强（外出）", 1
                )
            )
        if bed % 15 == 2:
            items.append(BoardItem(200 + bed, sid, ItemKind.OPERATION, now, "胃肠减压", 1))
    return BoardData(
        ward=ward,
        now=now,
        active=tuple(stays),
        ended_today=(),
        surgeries=tuple(surgeries),
        items_today=tuple(items),
        bedside=bedside,
        reminders=ReminderSummary(now + timedelta(minutes=30), 6, 4, 2),
        # Open tasks past the escalation window on a few beds.
        overdue_tasks={s.id: 1 + s.id % 2 for s in stays if s.id % 10 == 1},
    )

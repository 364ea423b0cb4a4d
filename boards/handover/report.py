"""The shift handover report (交班报告) as plain data, assembled in I-PASS / ISBAR order."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from boards.board_data import BedsideInfo
from boards.model import (
    BoardItem,
    Critical,
    ItemKind,
    NursingLevel,
    Stay,
    StayStatus,
    Surgery,
    SurgeryState,
    TaskOccurrence,
    TaskStatus,
    Ward,
)
from boards.parsing import bed_sort_key
from boards.schedule import Shift

__all__ = [
    "COMING_WINDOW",
    "ActionItem",
    "ActionKind",
    "FocusPatient",
    "HandoverReport",
    "Movement",
    "ShiftCensus",
    "TaskFigures",
    "assemble_report",
]

# Surgeries and examinations within this long after the handover are in the action list:
# a 09:00 operation matters to the night shift that prepares it (fasting, consent).
COMING_WINDOW = timedelta(hours=24)


class ActionKind(enum.StrEnum):
    """What the incoming nurse has to do or watch, in the order the report lists them."""

    OVERDUE = "overdue"  # a task due before the handover and still not done
    SKIPPED = "skipped"  # a task of the outgoing shift not given, with its reason
    LINE = "line"  # a line past its dwell limit
    SURGERY = "surgery"
    EXAM = "exam"
    NEXT = "next"  # tasks due in the incoming shift (the rest of a shift still running)


@dataclass(frozen=True, slots=True)
class ActionItem:
    kind: ActionKind
    at: datetime | None
    text: str
    # The reason a task was not given; the line's dwell day for a line.
    detail: str | None = None
    # Free text typed by a nurse (a procedure, an examination): hidden from the group
    # when the ward keeps notes out of it.
    free_text: bool = False
    # The English of a catalogue name (a line kind), where `text` is the Chinese.
    text_en: str | None = None


@dataclass(frozen=True, slots=True)
class FocusPatient:
    """One patient the incoming shift must know about: severity, summary, actions, awareness.

    `diagnosis` and `allergies` are for a private chat only; `new_tags` are names only (a
    tag's detail can hold allergens).
    """

    stay: Stay
    critical: Critical | None
    level: NursingLevel | None
    diagnosis: str | None
    actions: tuple[ActionItem, ...]
    new_tags: tuple[str, ...]
    allergies: str | None


@dataclass(frozen=True, slots=True)
class Movement:
    """A patient who left or arrived during the shift."""

    stay: Stay
    at: datetime
    kind: str  # "discharged", "transferred_out", "admitted", "transferred_in"
    other_ward: str | None = None


@dataclass(frozen=True, slots=True)
class ShiftCensus:
    start: int
    admitted: int
    transferred_in: int
    discharged: int
    transferred_out: int
    end: int
    critical: int
    serious: int
    levels: Mapping[NursingLevel, int]


@dataclass(frozen=True, slots=True)
class TaskFigures:
    """The outgoing shift's tasks (due in its span): done on time, late, not given, open."""

    on_time: int
    late: int
    skipped: int
    open: int
    # Not-given reasons with their counts, most frequent first.
    reasons: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.skipped + self.open


@dataclass(frozen=True, slots=True)
class HandoverReport:
    """Everything the handover says, for one ward and the shift [start, end)."""

    ward: Ward
    shift: Shift
    start: datetime
    end: datetime
    next_shift: Shift
    next_end: datetime
    # The report's moment: the shift's end, or now for a shift still running.
    as_of: datetime
    census: ShiftCensus
    left: tuple[Movement, ...]
    arrived: tuple[Movement, ...]
    focus: tuple[FocusPatient, ...]
    figures: TaskFigures
    # Free text (procedures, examinations) in the group copy: the ward's choice.
    group_notes: bool = True

    @property
    def finished(self) -> bool:
        return self.as_of >= self.end


def _present(stay: Stay, at: datetime) -> bool:
    return stay.admitted_at < at and (stay.ended_at is None or stay.ended_at >= at)


def _severity(stay: Stay) -> tuple[int, int]:
    """I-PASS orders by illness severity: 病危, 病重, then 特级 and 一级 nursing."""
    critical = {Critical.CRITICAL: 0, Critical.SERIOUS: 1}
    level = {NursingLevel.SPECIAL: 0, NursingLevel.ONE: 1}
    return (
        critical[stay.critical] if stay.critical is not None else 2,
        level.get(stay.level, 2) if stay.level is not None else 2,
    )


def _census(stays: Sequence[Stay], start: datetime, as_of: datetime) -> ShiftCensus:
    at_end = [s for s in stays if _present(s, as_of)]
    arrived = [s for s in stays if start <= s.admitted_at < as_of]
    left = [s for s in stays if s.ended_at is not None and start <= s.ended_at < as_of]
    levels = {level: 0 for level in NursingLevel}
    for stay in at_end:
        if stay.level is not None:
            levels[stay.level] += 1
    return ShiftCensus(
        start=sum(1 for s in stays if _present(s, start)),
        admitted=sum(1 for s in arrived if s.transferred_from is None),
        transferred_in=sum(1 for s in arrived if s.transferred_from is not None),
        discharged=sum(1 for s in left if s.status is StayStatus.DISCHARGED),
        transferred_out=sum(1 for s in left if s.status is StayStatus.TRANSFERRED),
        end=len(at_end),
        critical=sum(1 for s in at_end if s.critical is Critical.CRITICAL),
        serious=sum(1 for s in at_end if s.critical is Critical.SERIOUS),
        levels=levels,
    )


def _movements(
    stays: Sequence[Stay], start: datetime, as_of: datetime
) -> tuple[tuple[Movement, ...], tuple[Movement, ...]]:
    left = []
    arrived = []
    for s in stays:
        if s.ended_at is not None and start <= s.ended_at < as_of and not s.active:
            if s.status is StayStatus.TRANSFERRED:
                left.append(Movement(s, s.ended_at, "transferred_out", s.transferred_to))
            else:
                left.append(Movement(s, s.ended_at, "discharged"))
        if start <= s.admitted_at < as_of:
            if s.transferred_from is not None:
                arrived.append(Movement(s, s.admitted_at, "transferred_in", s.transferred_from))
            else:
                arrived.append(Movement(s, s.admitted_at, "admitted"))
    return (
        tuple(sorted(left, key=lambda m: (m.at, bed_sort_key(m.stay.bed)))),
        tuple(sorted(arrived, key=lambda m: (m.at, bed_sort_key(m.stay.bed)))),
    )


def _figures(
    tasks: Sequence[TaskOccurrence], start: datetime, end: datetime, overdue_after: timedelta
) -> TaskFigures:
    on_time = late = skipped = still_open = 0
    reasons: Counter[str] = Counter()
    for task in tasks:
        if not start <= task.due_at < end:
            continue
        if task.status is TaskStatus.DONE:
            if task.done_at is not None and task.done_at > task.due_at + overdue_after:
                late += 1
            else:
                on_time += 1
        elif task.status is TaskStatus.SKIPPED:
            skipped += 1
            reasons[task.skip_reason or "—"] += 1
        elif task.status is TaskStatus.PENDING:
            still_open += 1
    ordered = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return TaskFigures(on_time, late, skipped, still_open, ordered)


def _actions(
    stay: Stay,
    tasks: Sequence[TaskOccurrence],
    info: BedsideInfo | None,
    surgeries: Sequence[Surgery],
    exams: Sequence[BoardItem],
    *,
    start: datetime,
    as_of: datetime,
    upcoming_end: datetime,
) -> tuple[ActionItem, ...]:
    items: list[ActionItem] = []
    for task in tasks:
        if task.status is TaskStatus.PENDING and task.due_at < as_of:
            items.append(ActionItem(ActionKind.OVERDUE, task.due_at, task.text))
    for task in tasks:
        if task.status is TaskStatus.SKIPPED and start <= task.due_at < as_of:
            items.append(ActionItem(ActionKind.SKIPPED, task.due_at, task.text, task.skip_reason))
    for line in info.lines if info is not None else ():
        if line.overdue:
            items.append(
                ActionItem(
                    ActionKind.LINE,
                    line.due_at,
                    line.kind.name_zh,
                    str(line.dwell_day),
                    text_en=line.kind.name_en,
                )
            )
    horizon = as_of + COMING_WINDOW
    for op in surgeries:
        if op.state is SurgeryState.SCHEDULED and as_of <= op.scheduled_at < horizon:
            items.append(
                ActionItem(ActionKind.SURGERY, op.scheduled_at, op.procedure, free_text=True)
            )
    for exam in exams:
        if as_of <= exam.at < horizon:
            items.append(ActionItem(ActionKind.EXAM, exam.at, exam.text, free_text=True))
    for task in tasks:
        if task.status is TaskStatus.PENDING and as_of <= task.due_at < upcoming_end:
            items.append(ActionItem(ActionKind.NEXT, task.due_at, task.text))
    order = list(ActionKind)
    return tuple(
        sorted(items, key=lambda a: (order.index(a.kind), a.at or as_of, a.text))  # stable
    )


def assemble_report(
    *,
    ward: Ward,
    shift: Shift,
    start: datetime,
    end: datetime,
    next_shift: Shift,
    next_end: datetime,
    now: datetime,
    stays: Sequence[Stay],
    tasks: Sequence[TaskOccurrence],
    bedside: Mapping[int, BedsideInfo],
    surgeries: Sequence[Surgery],
    items: Sequence[BoardItem],
    overdue_after: timedelta,
    tag_names: Mapping[str, str],
    group_notes: bool = True,
) -> HandoverReport:
    """The handover for the shift [start, end) of `ward`, as it stands at `now`.

    `stays` are every stay present at some moment since `start` (active and ended);
    `tasks` their tasks; `tag_names` the ward's tag names by code in the reader's language.
    A shift still running (`now < end`) is reported as it is so far.
    """
    as_of = min(now, end)
    present = sorted(
        (s for s in stays if _present(s, as_of)), key=lambda s: (_severity(s), bed_sort_key(s.bed))
    )
    tasks_of: dict[int, list[TaskOccurrence]] = {}
    for task in sorted(tasks, key=lambda t: (t.due_at, t.id)):
        tasks_of.setdefault(task.stay_id, []).append(task)
    ops_of: dict[int, list[Surgery]] = {}
    for op in sorted(surgeries, key=lambda o: (o.scheduled_at, o.id)):
        ops_of.setdefault(op.stay_id, []).append(op)
    exams_of: dict[int, list[BoardItem]] = {}
    for item in sorted(items, key=lambda i: (i.at, i.id)):
        if item.kind is ItemKind.EXAM:
            exams_of.setdefault(item.stay_id, []).append(item)
    focus = []
    for stay in present:
        info = bedside.get(stay.id)
        actions = _actions(
            stay,
            tasks_of.get(stay.id, ()),
            info,
            ops_of.get(stay.id, ()),
            exams_of.get(stay.id, ()),
            start=start,
            as_of=as_of,
            # Finished: what the incoming shift has to do; running: the rest of this one.
            upcoming_end=next_end if as_of >= end else end,
        )
        severe = stay.critical is not None or stay.level in (
            NursingLevel.SPECIAL,
            NursingLevel.ONE,
        )
        if not severe and not actions:
            continue
        new_tags = tuple(
            tag_names.get(t.kind.code, t.kind.name_zh)
            for t in (info.tags if info is not None else ())
            if start <= t.tag.added_at < as_of
        )
        focus.append(
            FocusPatient(
                stay=stay,
                critical=stay.critical,
                level=stay.level,
                diagnosis=stay.diagnosis,
                actions=actions,
                new_tags=new_tags,
                allergies=info.allergies if info is not None else None,
            )
        )
    left, arrived = _movements(stays, start, as_of)
    return HandoverReport(
        ward=ward,
        shift=shift,
        start=start,
        end=end,
        next_shift=next_shift,
        next_end=next_end,
        as_of=as_of,
        census=_census(stays, start, as_of),
        left=left,
        arrived=arrived,
        focus=tuple(focus),
        figures=_figures(tasks, start, end, overdue_after),
        group_notes=group_notes,
    )

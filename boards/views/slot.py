"""A reminder slot message as a view: its title and one row per task, closed ones marked."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from boards.i18n import Texts
from boards.masking import mask_name
from boards.model import Stay, TaskOccurrence, TaskStatus
from boards.views.rich import Line, join, markup, text

__all__ = ["SlotRow", "SlotView", "slot_view", "task_who"]


@dataclass(frozen=True, slots=True)
class SlotRow:
    """One task of the slot: `mark` ✅ done, ✖ skipped or cancelled, ▫ open; `line` what the
    group reads (masked name); `bed` the bed as its buttons name it ("?" if unknown)."""

    task: TaskOccurrence
    mark: str
    line: Line
    bed: str

    @property
    def pending(self) -> bool:
        return self.task.pending


@dataclass(frozen=True, slots=True)
class SlotView:
    title: Line
    rows: tuple[SlotRow, ...]


def task_who(t: Texts, stays: Mapping[int, Stay], task: TaskOccurrence) -> str:
    """`12床 张*`: the bed and masked name of a task's patient, "?" if not known."""
    stay = stays.get(task.stay_id)
    if stay is None:
        return "?"
    return f"{t.bed(stay.bed)} {mask_name(stay.name)}"


def _status(t: Texts, task: TaskOccurrence, names: Mapping[int, str]) -> str:
    """Who closed it and when or why, or where it was snoozed to (catalogue markup)."""
    if task.status is TaskStatus.DONE and task.done_at is not None:
        return " " + t("remind.done_by", who=_closer(task, names), time=t.hm(task.done_at))
    if task.status is TaskStatus.SKIPPED:
        return " " + t(
            "remind.skipped_by",
            who=_closer(task, names),
            reason=html.escape(task.skip_reason or ""),
        )
    if task.status is TaskStatus.CANCELLED:
        return " " + t("remind.cancelled")
    if task.due_at != task.planned_at:
        return " " + t("remind.snoozed", time=t.hm(task.due_at))
    return ""


def _closer(task: TaskOccurrence, names: Mapping[int, str]) -> str:
    return html.escape(names.get(task.done_by or 0, ""))


def _mark(task: TaskOccurrence) -> str:
    if task.status is TaskStatus.DONE:
        return "✅"
    return "✖" if task.status in (TaskStatus.SKIPPED, TaskStatus.CANCELLED) else "▫"


def slot_view(
    t: Texts,
    start: datetime,
    late: bool,
    chunk: Sequence[TaskOccurrence],
    stays: Mapping[int, Stay],
    names: Mapping[int, str] | None = None,
) -> SlotView:
    """The slot starting at `start` (a late slot names each task's planned time), with who
    closed each task (`names` by user id)."""
    names = names or {}
    rows = []
    for task in chunk:
        mark = _mark(task)
        when = f"{t.hm(task.planned_at)} " if late else ""
        # As task_who, with the bed label worked out once for the line and the buttons.
        stay = stays.get(task.stay_id)
        bed = "?" if stay is None else t.bed(stay.bed)
        who = "?" if stay is None else f"{bed} {mask_name(stay.name)}"
        line = text(f"{mark} {who} · {when}{task.text}")
        if status := _status(t, task, names):
            line = join([line, markup(status)], "")
        rows.append(SlotRow(task=task, mark=mark, line=line, bed=bed))
    title = t("remind.late_title") if late else t("remind.title", time=t.hm(start))
    return SlotView(title=markup(title), rows=tuple(rows))

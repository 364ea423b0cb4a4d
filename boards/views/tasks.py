"""`/tasks` as a view: the ward's open tasks due now (overdue flagged), then the shift's rest."""

from __future__ import annotations

from dataclasses import dataclass

from boards.i18n import Texts
from boards.masking import mask_name
from boards.tasks import TasksView
from boards.views.rich import Line, markup, text

__all__ = ["TaskListView", "task_list_view"]


@dataclass(frozen=True, slots=True)
class TaskListView:
    """The title (due and overdue counts) and one line per task: `⚠ ` when overdue, the due
    time, the patient (full name only when `private`), the task; "none" when empty."""

    title: Line
    lines: tuple[Line, ...]


def task_list_view(view: TasksView, t: Texts, *, private: bool) -> TaskListView:
    lines = []
    for row in (*view.due, *view.upcoming):
        flag = "⚠ " if row.overdue else ""
        name = row.stay.name if private else mask_name(row.stay.name)
        when = t.date_hm(row.task.due_at, now=view.now)
        lines.append(text(f"{flag}{when} {t.bed(row.stay.bed)} {name} · {row.task.text}"))
    return TaskListView(
        title=markup(t("tasks.title", due=len(view.due), overdue=view.summary.overdue_count)),
        lines=tuple(lines) or (markup(t("tasks.none")),),
    )

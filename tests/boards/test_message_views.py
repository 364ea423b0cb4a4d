"""The card, reminder slot, policy and task-list views, and their Telegram formatting."""

from datetime import timedelta

from boards.board_data import ReminderSummary
from boards.model import BoardItem, ItemKind, TaskKind, TaskOccurrence, TaskStatus
from boards.schedule import default_ward_policy
from boards.tasks import DueTask, TasksView
from boards.views.card import card_view
from boards.views.policy import policy_view
from boards.views.rich import Span, plain
from boards.views.slot import slot_view
from boards.views.tasks import task_list_view
from boards.views.telegram_html import (
    TELEGRAM_TEXT_LIMIT,
    card_html,
    line_html,
    plain_length,
    slot_html,
    task_list_html,
)
from tests.boards.test_views import EN, NOW, ZH, ward_data


def _card(items: tuple[BoardItem, ...] = ()):  # type: ignore[no-untyped-def]
    data = ward_data()
    stay = data.active[0]
    surgeries = tuple(op for op in data.surgeries if op.stay_id == stay.id)
    return card_view(stay, surgeries, items, data.bedside[stay.id], ZH, now=NOW)


def test_the_card_shows_the_full_name_the_allergens_and_a_line_past_its_limit() -> None:
    view = _card()
    assert plain(view.head[0]) == "🛏 3床 欧阳明华" and all(s.strong for s in view.head[0][1:])
    assert view.head[1][-1] == Span("病危", strong=True)
    assert plain(view.head[-1]).endswith(" · 术后第2天")
    texts = [plain(line) for line in view.bedside]
    assert texts[:2] == ["⚠ 防坠床", "⚠ 药物过敏：青霉素"]
    (line,) = (ln for ln in view.bedside if "导管1" in plain(ln))
    # A line past its limit is strong as a whole, its warning included.
    assert all(s.strong for s in line) and plain(line).endswith("留置第6天 ⚠ 已超留置期限")
    assert texts[-1] == "🖨 尚未打印床头卡（/sign）。"


def test_a_card_with_a_day_of_many_notes_fits_one_message() -> None:
    notes = tuple(BoardItem(i, 1, ItemKind.NOTE, NOW, "备注<>&" * 30, 9) for i in range(400))
    view = _card(notes)
    assert len(view.items) == 400
    text = card_html(view, ZH)
    assert plain_length(text) <= TELEGRAM_TEXT_LIMIT and "…另有" in text
    assert "&lt;&gt;&amp;" in text and text.endswith(plain(view.foot[-1]))


def _task(i: int, **kw: object) -> TaskOccurrence:
    fields: dict[str, object] = dict(
        id=i,
        ward_id=1,
        stay_id=1,
        kind=TaskKind.MED,
        source_id=1,
        rule_code="bid",
        planned_at=NOW,
        due_at=NOW,
        remind_at=NOW,
        text="头孢呋辛 1.5g <ivgtt>",
        created_at=NOW,
    )
    fields.update(kw)
    return TaskOccurrence(**fields)  # type: ignore[arg-type]


def test_the_slot_marks_each_task_and_says_who_closed_it() -> None:
    stays = {s.id: s for s in ward_data().active}
    chunk = [
        _task(1),
        _task(2, status=TaskStatus.DONE, done_at=NOW, done_by=7),
        _task(3, stay_id=2, status=TaskStatus.SKIPPED, skip_reason="拒绝", done_by=7),
        _task(4, stay_id=99, due_at=NOW + timedelta(minutes=30)),
    ]
    view = slot_view(ZH, NOW, False, chunk, stays, {7: "王护士"})
    assert plain(view.title) == "⏰ 14:00 提醒"
    assert [(r.mark, r.bed, r.pending) for r in view.rows] == [
        ("▫", "3床", True),
        ("✅", "3床", False),
        ("✖", "5床", False),
        ("▫", "?", True),
    ]
    lines = [plain(r.line) for r in view.rows]
    assert lines[0] == "▫ 3床 欧**华 · 头孢呋辛 1.5g <ivgtt>"
    assert lines[1].endswith("— 已执行（王护士 14:00）")
    assert lines[2] == "✖ 5床 张* · 头孢呋辛 1.5g <ivgtt> — 未执行：拒绝（王护士）"
    assert lines[3] == "▫ ? · 头孢呋辛 1.5g <ivgtt> — 稍后提醒 14:30"
    assert "&lt;ivgtt&gt;" in slot_html(view) and "欧阳明华" not in slot_html(view)
    late = slot_view(EN, NOW, True, chunk[:1], stays)
    assert plain(late.rows[0].line).startswith("▫ Bed 3 欧**华 · 14:00 ")


def test_the_policy_lists_times_shifts_and_line_care() -> None:
    view = policy_view(default_ward_policy(), ZH)
    lines = [plain(line) for line in view.lines]
    assert lines[0].startswith("本病区提醒设置：")
    assert any(line.startswith("bid: ") for line in lines)
    assert any(line.startswith("班次：") and "白班" in line for line in lines)
    assert any(line.startswith("picc ") for line in lines)


def test_the_task_list_flags_overdue_masks_in_the_group_and_says_none() -> None:
    stay = ward_data().active[0]
    rows = (DueTask(_task(1), stay, True), DueTask(_task(2, due_at=NOW), stay, False))
    view = TasksView(ward_data().ward, NOW, rows, (), ReminderSummary(None, 0, 2, 1))
    group = task_list_view(view, ZH, private=False)
    assert [plain(line) for line in group.lines] == [
        "⚠ 14:00 3床 欧**华 · 头孢呋辛 1.5g <ivgtt>",
        "14:00 3床 欧**华 · 头孢呋辛 1.5g <ivgtt>",
    ]
    assert "欧阳明华" in plain(task_list_view(view, ZH, private=True).lines[0])
    empty = TasksView(view.ward, NOW, (), (), ReminderSummary(None, 0, 0, 0))
    text = task_list_html(task_list_view(empty, ZH, private=False), ZH)
    assert text.splitlines()[1] == "本班暂无任务。"
    assert line_html(group.lines[0]).endswith("&lt;ivgtt&gt;")

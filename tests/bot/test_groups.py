"""The ward group changes under the bot: upgraded to a supergroup, the bot removed and added
back, the right to pin taken away. The board and the reminders follow; nothing is lost, nothing
sent twice, and the head nurse is told once, privately."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boards.model import AuditEntry, TaskOccurrence
from bot import group_watch
from bot.emulator import EmuChat, EmuMessage, EmuUser
from tests.bot.conftest import GROUP_ID, Ward

BASIC = -4518810793  # a basic group: Telegram upgrades these to supergroups
WARD = "普外科一病区"
REMOVED_ZH = (
    f"⚠ {WARD}：病区群无法送达（机器人已被移出群）。提醒仍在待办中，/tasks 可查看；"
    "把机器人加回群后自动恢复。"
)
NO_PIN_ZH = (
    f"⚠ {WARD}：病区群的白板无法置顶（机器人没有置顶消息的权限）。白板和提醒照常发送；"
    "把机器人设为可置顶消息的管理员后自动恢复。"
)
BACK_ZH = f"✅ {WARD}：病区群已恢复，白板已重新发布并置顶；未送达的提醒随后补发。"


# --- helpers ------------------------------------------------------------------------------


async def ticks(ward: Ward, n: int = 5) -> None:
    """Let the dispatcher run a few times at the current (manual) time."""
    await ward.ticks(n)


async def bind_basic_group(ward: Ward) -> EmuChat:
    await ward.create_ward()
    await ward.join_nurse()
    group = ward.emu.add_group(
        BASIC, "普外一病区群", members=[ward.nurse], creator=ward.head, type="group"
    )
    await ward.head.say("/bind", chat=group)
    return group


async def prescribe(ward: Ward, bed: int = 12) -> None:
    await ward.say(ward.nurse, f"/admit {bed} 张三 男 45")
    await ward.say(ward.nurse, f"/med {bed} 阿莫西林 0.5g po bid")


async def pinned_board(ward: Ward, chat_id: int) -> EmuMessage:
    await ward.runtime.publisher.flush()
    await ward.emu.settle()
    chat = ward.emu.chat(chat_id)
    assert chat.pinned_message_id is not None, "no pinned board"
    board = chat.message(chat.pinned_message_id)
    assert board.text.startswith(f"📋 {WARD} 白板")
    return board


def boards_in(ward: Ward, chat_id: int) -> list[EmuMessage]:
    return [m for m in ward.emu.chat(chat_id).bot_messages() if m.text.startswith("📋")]


def reminders_in(ward: Ward, chat_id: int) -> list[EmuMessage]:
    return [m for m in ward.emu.chat(chat_id).bot_messages() if m.text.startswith("⏰")]


def told(ward: Ward, user: EmuUser) -> list[str]:
    """What the bot told this person privately about the ward group."""
    return [
        m.text
        for m in ward.emu.chat(user.id).bot_messages()
        if m.text.startswith((f"⚠ {WARD}", f"✅ {WARD}"))
    ]


def calls_on(ward: Ward, chat_id: int, since: int) -> list[tuple[str, bool]]:
    return [
        (call.method, call.ok)
        for call in ward.emu.requests[since:]
        if call.params.get("chat_id") == chat_id
    ]


async def ward_tasks(ward: Ward) -> list[TaskOccurrence]:
    async with ward.database.uow() as uow:
        stays = await uow.stays.active(await ward.ward_id())
        tasks = await uow.tasks.of_stays([s.id for s in stays])
    return [t for t in tasks if t.due_at <= ward.clock.now()]


async def audits(ward: Ward, prefix: str = "ward:group") -> list[AuditEntry]:
    """The ward's audit entries about its group, oldest first."""
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    return [e for e in reversed(entries) if e.action.startswith(prefix)]


# --- upgraded to a supergroup ----------------------------------------------------------------


async def test_an_upgraded_group_gets_the_board_and_the_next_reminder_once(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await bind_basic_group(ward)
    await prescribe(ward)
    old_board = await pinned_board(ward, BASIC)

    new_id = ward.emu.migrate_to_supergroup(BASIC)
    await ticks(ward)
    board = await pinned_board(ward, new_id)
    assert "12床 张*" in board.text and "张三" not in board.text
    assert ward.emu.chat(new_id).pins == [(board.message_id, True)]
    assert boards_in(ward, new_id) == [board]
    assert boards_in(ward, BASIC) == [old_board]  # left behind, as Telegram leaves it

    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward)
    (reminder,) = reminders_in(ward, new_id)
    assert reminder.text.splitlines() == ["⏰ 08:00 提醒", "▫ 12床 张* · 阿莫西林 0.5g po"]
    assert reminders_in(ward, BASIC) == []
    (task,) = await ward_tasks(ward)
    assert (task.message_chat_id, task.message_id) == (new_id, reminder.message_id)

    # Commands in the new group act on the ward; more ticks send nothing again.
    answer = await ward.nurse.say("/tasks", chat=new_id)
    assert [m.chat_id for m in answer] == [new_id]
    assert "12床 张* · 阿莫西林 0.5g po" in answer[0].text
    ward.clock.advance(timedelta(minutes=5))
    await ticks(ward)
    assert len(reminders_in(ward, new_id)) == 1

    # Both service messages arrived (one per chat): the group moved once, audited once; the
    # supergroup's own message came first, so the bot is named.
    (move,) = await audits(ward)
    assert move.action == "ward:group_move" and move.actor_id == ward.emu.bot_id
    assert (move.before, move.after) == ({"group": BASIC}, {"group": new_id})


@pytest.mark.parametrize("announced", [False, True], ids=["error-only", "error-and-message"])
async def test_an_upgrade_found_by_the_failed_send_loses_and_repeats_nothing(
    reminder_ward: Ward, announced: bool
) -> None:
    ward = reminder_ward
    await bind_basic_group(ward)
    await prescribe(ward)
    await pinned_board(ward, BASIC)
    mark = len(ward.emu.requests)

    # The upgrade happens just as the 08:00 dose falls due: the send to the old id hits
    # "group chat was upgraded" (and, when announced, the service messages race it).
    ward.clock.advance(timedelta(minutes=30))
    new_id = ward.emu.migrate_to_supergroup(BASIC, notify=announced)
    await ticks(ward, 8)

    (reminder,) = reminders_in(ward, new_id)
    assert reminder.text.splitlines()[0] == "⏰ 08:00 提醒"
    assert reminders_in(ward, BASIC) == []
    (task,) = await ward_tasks(ward)
    assert (task.message_chat_id, task.message_id) == (new_id, reminder.message_id)
    assert not task.late
    board = await pinned_board(ward, new_id)
    assert "12床 张*" in board.text
    assert boards_in(ward, new_id) == [board]
    # Nothing reached the old group after the upgrade; the reminder was tried there at most once.
    tried = calls_on(ward, BASIC, mark)
    assert all(not ok for _, ok in tried)
    assert sum(1 for method, _ in tried if method == "sendMessage") <= 1

    ward.clock.advance(timedelta(minutes=5))
    await ticks(ward)
    assert len(reminders_in(ward, new_id)) == 1
    (move,) = await audits(ward)
    assert move.action == "ward:group_move"
    assert (move.before, move.after) == ({"group": BASIC}, {"group": new_id})
    if not announced:
        assert move.actor_id == ward.emu.bot_id  # found by the bot itself


async def test_a_board_edit_that_meets_the_upgrade_moves_the_ward_once(
    reminder_ward: Ward,
) -> None:
    # No service message told the bot (notify=False) and no reminder is due: the first call
    # to meet "group chat was upgraded" is the board's edit after a nurse's change.
    ward = reminder_ward
    await bind_basic_group(ward)
    await prescribe(ward)
    old_board = await pinned_board(ward, BASIC)
    mark = len(ward.emu.requests)

    new_id = ward.emu.migrate_to_supergroup(BASIC, notify=False)
    await ward.say(ward.nurse, "/admit 13 李四 女 60")
    board = await pinned_board(ward, new_id)
    assert "13床 李*" in board.text and "12床 张*" in board.text and "李四" not in board.text
    assert ward.emu.chat(new_id).pins == [(board.message_id, True)]
    assert boards_in(ward, new_id) == [board]
    assert ward.emu.chat(BASIC).message(old_board.message_id).text == old_board.text
    assert all(not ok for _, ok in calls_on(ward, BASIC, mark))
    (move,) = await audits(ward)
    assert move.action == "ward:group_move" and move.actor_id == ward.emu.bot_id
    assert (move.before, move.after) == ({"group": BASIC}, {"group": new_id})

    # The next change edits the new board in place: no second board, no second move.
    edits = board.edit_count
    await ward.say(ward.nurse, "/discharge 13")
    again = await pinned_board(ward, new_id)
    assert again.message_id == board.message_id and again.edit_count == edits + 1
    assert "13床 李* 出院" in again.text
    assert boards_in(ward, new_id) == [again]
    assert len(await audits(ward)) == 1


async def test_an_overdue_notice_follows_the_upgrade(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await bind_basic_group(ward)
    await prescribe(ward)
    ward.clock.advance(timedelta(minutes=30))  # 08:00: sent to the basic group
    await ticks(ward)
    assert len(reminders_in(ward, BASIC)) == 1
    new_id = ward.emu.migrate_to_supergroup(BASIC, notify=False)
    ward.clock.advance(timedelta(minutes=30))  # 08:30: overdue, the group upgraded meanwhile
    await ticks(ward)
    notices = [m.text for m in ward.emu.chat(new_id).bot_messages() if m.text.startswith("⚠")]
    assert notices == ["⚠ 逾期未执行（1项）\n12床 张* · 阿莫西林 0.5g po（应于 08:00）"]
    assert "⚠ 逾期 1" in (await pinned_board(ward, new_id)).text


# --- the bot removed, and back ----------------------------------------------------------------


async def test_a_removed_bot_tells_the_head_once_and_catches_up_when_added_back(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await prescribe(ward)
    old_board = await ward.board()

    ward.emu.remove_bot(GROUP_ID, by=ward.head)
    await ticks(ward)
    assert told(ward, ward.head) == [REMOVED_ZH]
    assert told(ward, ward.nurse) == []

    # 08:00 comes and goes: no retry storm, nothing sent, the task stays due.
    mark = len(ward.emu.requests)
    ward.clock.advance(timedelta(minutes=30))
    await ticks(ward, 8)
    ward.clock.advance(timedelta(minutes=5))
    await ticks(ward)
    await ward.say(ward.nurse, "/admit 13 李四 女 50")
    await ticks(ward)
    assert calls_on(ward, GROUP_ID, mark) == []
    assert told(ward, ward.head) == [REMOVED_ZH]
    listing = await ward.reply(ward.nurse, "/tasks")
    assert listing.startswith("待执行任务（到期 1，逾期 0）")
    assert "08:00 12床 张三 · 阿莫西林 0.5g po" in listing
    (task,) = await ward_tasks(ward)
    assert task.sent_at is None

    ward.clock.advance(timedelta(minutes=30))  # 08:35: the dose is late now
    await ticks(ward)
    assert calls_on(ward, GROUP_ID, mark) == []
    ward.emu.add_bot(GROUP_ID, by=ward.head)
    await ticks(ward, 8)
    board = await ward.board()
    assert board.message_id != old_board.message_id
    assert "13床 李*" in board.text
    assert ward.emu.chat(GROUP_ID).find(old_board.message_id) is None  # the stale copy
    (reminder,) = reminders_in(ward, GROUP_ID)
    assert reminder.text.splitlines() == [
        "⏰ 补发：停机期间到期的任务",
        "▫ 12床 张* · 08:00 阿莫西林 0.5g po",
    ]
    (task,) = await ward_tasks(ward)
    assert task.late and task.message_id == reminder.message_id
    assert told(ward, ward.head) == [REMOVED_ZH, BACK_ZH]

    ward.clock.advance(timedelta(minutes=5))
    await ticks(ward)
    assert len(reminders_in(ward, GROUP_ID)) == 1
    assert [(e.action, e.actor_id, e.after) for e in await audits(ward)] == [
        ("ward:group_problem", ward.head.id, {"problem": "removed"}),
        ("ward:group_back", ward.head.id, {"problem": None}),
    ]


async def test_a_removal_found_by_a_failed_send_is_told_once_in_her_language(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await prescribe(ward)
    await ward.board()
    assert await ward.reply(ward.head, "/lang en") == "Language set to English."
    # The bot was removed while my_chat_member went missing: the 403 is the first sign.
    ward.emu.remove_bot(GROUP_ID, notify=False)
    mark = len(ward.emu.requests)
    ward.clock.advance(timedelta(minutes=30))  # 08:00
    await ticks(ward, 8)
    ward.clock.advance(timedelta(minutes=5))
    await ticks(ward, 8)
    assert told(ward, ward.head) == [
        f"⚠ {WARD}: the ward group cannot be reached (the bot was removed from the group). "
        "Reminders stay pending; see /tasks. Add the bot back to the group and everything "
        "resumes."
    ]
    assert calls_on(ward, GROUP_ID, mark) == [("sendMessage", False)]
    (task,) = await ward_tasks(ward)
    assert task.sent_at is None

    # The periodic check asks how the bot stands; still out, it says nothing new.
    await group_watch.probe(ward.runtime, ward.app.bot)
    assert calls_on(ward, GROUP_ID, mark)[1:] == [("getChatMember", False)]
    assert len(told(ward, ward.head)) == 1

    # Added back while that update went missing too: the check finds it.
    ward.clock.advance(timedelta(minutes=10))  # 08:15
    ward.emu.add_bot(GROUP_ID, notify=False)
    await group_watch.probe(ward.runtime, ward.app.bot)
    await ticks(ward, 8)
    await ward.board()
    (reminder,) = reminders_in(ward, GROUP_ID)
    assert reminder.text.startswith("⏰ 补发")
    assert told(ward, ward.head)[1].startswith(f"✅ {WARD}: the ward group is back")


# --- the right to pin -------------------------------------------------------------------------


async def test_no_pin_right_is_told_once_and_the_board_is_pinned_again_with_it(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await prescribe(ward)
    old_board = await ward.board()
    ward.emu.set_bot_admin(GROUP_ID, can_pin=False, by=ward.head)
    await ticks(ward)
    assert told(ward, ward.head) == [NO_PIN_ZH]

    # The board is deleted and posted again: it cannot be pinned, which is no news.
    ward.emu.delete_message(GROUP_ID, old_board.message_id)
    await ward.say(ward.nurse, "/admit 13 李四 女 50")
    await ticks(ward)
    (unpinned,) = boards_in(ward, GROUP_ID)
    assert "13床 李*" in unpinned.text and ward.emu.chat(GROUP_ID).pinned_message_id is None
    assert told(ward, ward.head) == [NO_PIN_ZH]
    # Reminders go out meanwhile.
    ward.clock.advance(timedelta(minutes=30))
    await ticks(ward)
    assert len(reminders_in(ward, GROUP_ID)) == 1

    ward.emu.set_bot_admin(GROUP_ID, can_pin=True, by=ward.head)
    await ticks(ward)
    board = await ward.board()
    assert boards_in(ward, GROUP_ID) == [board]  # reposted and pinned; the unpinned copy gone
    assert board.message_id != unpinned.message_id
    assert told(ward, ward.head) == [NO_PIN_ZH, BACK_ZH]
    assert len(reminders_in(ward, GROUP_ID)) == 1


async def test_a_pin_refused_without_my_chat_member_is_told_once(reminder_ward: Ward) -> None:
    ward = reminder_ward
    await ward.ready()
    first = await ward.board()
    ward.emu.set_bot_admin(GROUP_ID, can_pin=False, notify=False)
    for bed in (13, 14):
        board = boards_in(ward, GROUP_ID)[-1]
        ward.emu.delete_message(GROUP_ID, board.message_id)
        await ward.say(ward.nurse, f"/admit {bed} 李四 女 50")
        await ticks(ward)
    assert told(ward, ward.head) == [NO_PIN_ZH]
    (board,) = boards_in(ward, GROUP_ID)
    assert board.message_id != first.message_id and "14床 李*" in board.text
    (problem,) = await audits(ward)
    assert (problem.actor_id, problem.after) == (ward.emu.bot_id, {"problem": "no_pin"})


async def test_the_bot_added_back_as_a_plain_member_posts_but_says_it_cannot_pin(
    reminder_ward: Ward,
) -> None:
    ward = reminder_ward
    await ward.ready()
    await prescribe(ward)
    await ward.board()
    ward.emu.remove_bot(GROUP_ID)
    await ticks(ward)
    ward.clock.advance(timedelta(minutes=30))  # 08:00, nothing sent
    await ticks(ward)
    ward.emu.add_bot(GROUP_ID, admin=False)
    await ticks(ward, 8)
    assert told(ward, ward.head) == [REMOVED_ZH, NO_PIN_ZH]
    (board,) = boards_in(ward, GROUP_ID)
    assert "12床 张*" in board.text and ward.emu.chat(GROUP_ID).pinned_message_id is None
    (reminder,) = reminders_in(ward, GROUP_ID)
    assert reminder.text.startswith("⏰ 08:00 提醒")  # within ten minutes: not late


async def test_a_ward_name_with_html_characters_reaches_the_head_as_typed(
    reminder_ward: Ward,
) -> None:
    # Every message goes out as HTML (Defaults in bot.app): the notice that used to be sent
    # as plain text now escapes the ward's name, so "<" and "&" read as typed.
    ward = reminder_ward
    name = "外科<一>&二"
    assert "已创建病区" in await ward.reply(ward.head, f"/newward {name} 40")
    await ward.join_nurse()
    await ward.bind_group()
    ward.emu.remove_bot(GROUP_ID, by=ward.head)
    await ticks(ward)
    notices = [
        m for m in ward.emu.chat(ward.head.id).bot_messages() if m.text.startswith(f"⚠ {name}")
    ]
    assert [m.text for m in notices] == [REMOVED_ZH.replace(WARD, name)]
    assert {m.parse_mode for m in ward.emu.chat(ward.head.id).bot_messages()} == {"HTML"}

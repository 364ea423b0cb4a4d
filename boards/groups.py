"""The ward group as the messenger reports it: moved to a new chat id, unreachable, or back."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from boards.access import Actor, record_audit
from boards.model import GroupProblem, Member, Ward
from boards.ports import Clock, UnitOfWork

__all__ = [
    "GroupMove",
    "GroupProblem",
    "GroupState",
    "move_group",
    "note_group_state",
    "record_board_message",
]


@dataclass(frozen=True, slots=True)
class GroupMove:
    """The ward on its new chat, and whether this call moved it (or an earlier one did)."""

    ward: Ward
    moved: bool


@dataclass(frozen=True, slots=True)
class GroupState:
    """A change of what is wrong with the ward group, and the head nurses to tell about it."""

    ward: Ward
    before: Ward
    heads: tuple[Member, ...]

    @property
    def problem(self) -> GroupProblem | None:
        return _problem(self.ward)

    @property
    def repost(self) -> bool:
        """The board is posted afresh: the bot can post again, or pin it at last."""
        return _problem(self.before) is not None and self.problem is not GroupProblem.REMOVED


def _problem(ward: Ward) -> GroupProblem | None:
    return None if ward.group_problem is None else GroupProblem(ward.group_problem)


async def move_group(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward_id: int,
    old_chat_id: int,
    new_chat_id: int,
) -> GroupMove | None:
    """Follow the ward group to its new chat id (Telegram upgraded it to a supergroup).

    The board message stays behind in the old chat, so it is posted again in the new one;
    tasks already sent keep the chat they were sent to. Safe to call more than once, and
    from two discoverers at a time (the service message and a failed send): the first
    moves and audits, later ones see the move. None when the ward is bound to neither chat,
    or another ward already holds the new one.
    """
    # The ward-wide lock orders two discoverers; the ward is read only once it is held.
    await uow.tasks.lock_ward(ward_id)
    ward = await uow.wards.get(ward_id)
    if ward is None:
        return None
    if ward.group_chat_id == new_chat_id:
        return GroupMove(ward, moved=False)
    if ward.group_chat_id != old_chat_id:
        return None
    other = await uow.wards.by_group(new_chat_id)
    if other is not None and other.id != ward.id:
        return None
    moved = await uow.wards.update(
        dataclasses.replace(ward, group_chat_id=new_chat_id, board_message_id=None)
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:group_move",
        str(new_chat_id),
        before={"group": old_chat_id},
        after={"group": new_chat_id},
    )
    return GroupMove(moved, moved=True)


async def note_group_state(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward_id: int,
    chat_id: int,
    problem: GroupProblem | None,
) -> GroupState | None:
    """Record what is wrong with the ward group now (a GroupProblem, or None: nothing).

    Returns the change only when it is one, so each problem is told once, and its end
    once. When the bot can post again, or pin at last, the board message is forgotten so
    that the board is posted (and pinned) afresh. Nothing happens for a chat the ward is
    no longer bound to (a stale report from before a move or a re-bind).
    """
    # Two reports at once (a failed send, a failed board edit) must not both tell.
    await uow.tasks.lock_ward(ward_id)
    ward = await uow.wards.get(ward_id)
    if ward is None or ward.group_chat_id != chat_id or ward.group_problem == problem:
        return None
    changed = dataclasses.replace(
        ward,
        group_problem=problem,
        group_problem_since=clock.now() if problem is not None else None,
    )
    state = GroupState(changed, ward, ())
    if state.repost:
        changed = dataclasses.replace(changed, board_message_id=None)
    updated = await uow.wards.update(changed)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:group_problem" if problem is not None else "ward:group_back",
        str(chat_id),
        before={"problem": ward.group_problem},
        after={"problem": None if problem is None else problem.value},
    )
    heads = tuple(m for m in await uow.members.of_ward(ward.id) if m.is_head)
    return GroupState(updated, ward, heads)


async def record_board_message(
    uow: UnitOfWork, *, ward_id: int, chat_id: int, message_id: int
) -> Ward | None:
    """The board was posted afresh as `message_id` in `chat_id`: later refreshes edit that
    one. Not recorded if the ward has moved to another chat (or gone) since; the ward as
    it is now when it was."""
    current = await uow.wards.get(ward_id)
    if current is None or current.group_chat_id != chat_id:
        return None
    return await uow.wards.update(dataclasses.replace(current, board_message_id=message_id))

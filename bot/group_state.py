"""The ward group's state as Telegram reports it in errors and member updates, recorded once.

What the board publisher, the reminder dispatcher and the group handlers share: reading a
problem from an error or a ChatMember, following a migration, telling the head nurses.
"""

from __future__ import annotations

import html
import logging

from telegram import (
    Bot,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    User,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from boards import groups
from boards.access import Actor, actor_of_user
from boards.groups import GroupProblem, GroupState
from boards.i18n import texts
from boards.model import Ward
from boards.ports import Clock, UnitOfWorkFactory
from bot.transaction import transaction

__all__ = [
    "actor_of",
    "bot_actor",
    "follow_migration",
    "note_failure",
    "problem_of",
    "problem_of_error",
    "record_state",
    "tell_heads",
    "ward_on",
]

log = logging.getLogger(__name__)


def bot_actor(bot: Bot) -> Actor:
    """The audit's actor for what the bot found out by itself (a failed call)."""
    return Actor(bot.id, bot.username or "bot")


def actor_of(user: User | None, bot: Bot) -> Actor:
    if user is None or user.is_bot:
        return bot_actor(bot)
    return actor_of_user(user.id, user.full_name)


def problem_of(member: ChatMember) -> GroupProblem | None:
    """What the bot's ChatMember in the ward group means for the ward."""
    if isinstance(member, ChatMemberOwner):
        return None
    if isinstance(member, ChatMemberAdministrator):
        return GroupProblem.NO_PIN if member.can_pin_messages is False else None
    if isinstance(member, ChatMemberMember):
        return GroupProblem.NO_PIN
    if isinstance(member, ChatMemberRestricted):
        if not member.is_member or not member.can_send_messages:
            return GroupProblem.REMOVED
        return None if member.can_pin_messages else GroupProblem.NO_PIN
    return GroupProblem.REMOVED  # left, or kicked


def problem_of_error(error: TelegramError) -> GroupProblem | None:
    """What a failed call on the ward group says about it; None for a passing failure."""
    if isinstance(error, Forbidden):
        return GroupProblem.REMOVED  # kicked, left, or not a member
    if isinstance(error, BadRequest):
        text = error.message.lower()
        if "pinned messages" in text or "rights to pin" in text:
            return GroupProblem.NO_PIN
        if "rights to send" in text or "chat not found" in text:
            return GroupProblem.REMOVED
    return None


async def ward_on(uow_factory: UnitOfWorkFactory, chat_id: int) -> Ward | None:
    async with uow_factory() as uow:
        return await uow.wards.by_group(chat_id)


# --- upgraded to a supergroup ----------------------------------------------------------------


async def follow_migration(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    old_chat_id: int,
    new_chat_id: int,
    actor: Actor,
) -> Ward | None:
    """Move the ward of the old group to the new chat; the ward as it is now on the new
    chat (moved by this call or an earlier one), None when no ward has either chat."""
    # Looked up apart: the move reads the ward afresh once it holds the ward's lock.
    found = await ward_on(uow_factory, old_chat_id) or await ward_on(uow_factory, new_chat_id)
    if found is None:
        return None
    async with transaction(uow_factory) as uow:
        move = await groups.move_group(
            uow,
            clock,
            actor=actor,
            ward_id=found.id,
            old_chat_id=old_chat_id,
            new_chat_id=new_chat_id,
        )
    if move is None:
        return None
    if move.moved:
        log.info("the group of ward %s became a supergroup; following it", move.ward.id)
    return move.ward


async def record_state(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    ward_id: int,
    chat_id: int,
    problem: GroupProblem | None,
    actor: Actor,
) -> GroupState | None:
    async with transaction(uow_factory) as uow:
        state = await groups.note_group_state(
            uow, clock, actor=actor, ward_id=ward_id, chat_id=chat_id, problem=problem
        )
    if state is not None:
        log.warning(
            "group of ward %s: %s (was %s)",
            ward_id,
            state.problem or "reachable",
            state.before.group_problem or "reachable",
        )
    return state


async def tell_heads(uow_factory: UnitOfWorkFactory, bot: Bot, state: GroupState) -> None:
    """Each head nurse, privately and in her own language: the group is unreachable, or
    back. Told once per change; the group itself may be the one thing that cannot hear."""
    ward = state.ward
    key = f"group.{state.problem.value}" if state.problem else "group.back"
    async with uow_factory() as uow:
        prefs = {h.user_id: await uow.users.get(h.user_id) for h in state.heads}
    for head in state.heads:
        mine = prefs[head.user_id]
        t = texts(mine.locale if mine and mine.locale else ward.locale, ward.timezone)
        try:
            await bot.send_message(head.user_id, t(key, ward=html.escape(ward.name)))
        except TelegramError:
            log.warning("could not tell a head nurse of ward %s about its group", ward.id)


async def note_failure(
    uow_factory: UnitOfWorkFactory, clock: Clock, bot: Bot, *, ward: Ward, error: TelegramError
) -> GroupProblem | None:
    """A call on the ward group failed: record what it says is wrong (told once), if it
    says anything; returns the problem."""
    problem = problem_of_error(error)
    if problem is None or ward.group_chat_id is None:
        return problem
    state = await record_state(
        uow_factory,
        clock,
        ward_id=ward.id,
        chat_id=ward.group_chat_id,
        problem=problem,
        actor=bot_actor(bot),
    )
    if state is not None:
        await tell_heads(uow_factory, bot, state)
    return problem

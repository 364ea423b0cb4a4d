"""Follows the ward group: upgraded to a supergroup, the bot removed, or without the pin right.

Telegram says so in updates (the migrate service messages, `my_chat_member`) and in errors
(ChatMigrated, 403 on a send, 400 on a pin); each path ends in the same `boards.groups`
services, so whichever arrives first acts and the others find nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import (
    Bot,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from boards import groups
from boards.access import Actor
from boards.groups import GroupProblem, GroupState
from boards.i18n import texts
from boards.model import Ward
from boards.ports import Clock, UnitOfWorkFactory
from bot.logsafe import log_failure
from bot.runtime import Runtime, WardContext

__all__ = [
    "CHECK_SECONDS",
    "bot_actor",
    "check_groups",
    "follow_migration",
    "follow_status",
    "note_failure",
    "on_migrate",
    "on_my_chat_member",
    "probe",
    "problem_of",
    "problem_of_error",
]

log = logging.getLogger(__name__)

# How often a group with a problem is asked how the bot stands there: the fallback for a
# `my_chat_member` that never arrived, and the only call made to such a group meanwhile.
CHECK_SECONDS = 300
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def bot_actor(bot: Bot) -> Actor:
    """The audit's actor for what the bot found out by itself (a failed call)."""
    return Actor(bot.id, bot.username or "bot")


def _actor(user: User | None, bot: Bot) -> Actor:
    if user is None or user.is_bot:
        return bot_actor(bot)
    return Actor(user.id, user.full_name[:60] or str(user.id))


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


async def _ward_on(uow_factory: UnitOfWorkFactory, chat_id: int) -> Ward | None:
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
    found = await _ward_on(uow_factory, old_chat_id) or await _ward_on(uow_factory, new_chat_id)
    if found is None:
        return None
    async with uow_factory() as uow:
        move = await groups.move_group(
            uow,
            clock,
            actor=actor,
            ward_id=found.id,
            old_chat_id=old_chat_id,
            new_chat_id=new_chat_id,
        )
        await uow.commit()
    if move is None:
        return None
    if move.moved:
        log.info("the group of ward %s became a supergroup; following it", move.ward.id)
    return move.ward


async def on_migrate(update: Update, context: WardContext) -> None:
    """The service messages of an upgrade, in the old group and in the new supergroup."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    runtime = context.runtime
    ward = await follow_migration(
        runtime.uow_factory,
        runtime.clock,
        old_chat_id=old,
        new_chat_id=new,
        actor=_actor(update.effective_user, context.bot),
    )
    if ward is not None:
        # Posted and pinned in the new chat; due reminders go there on the next tick.
        runtime.publisher.request(ward.id)


# --- unreachable, and back ---------------------------------------------------------------


async def _record(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    ward_id: int,
    chat_id: int,
    problem: GroupProblem | None,
    actor: Actor,
) -> GroupState | None:
    async with uow_factory() as uow:
        state = await groups.note_group_state(
            uow, clock, actor=actor, ward_id=ward_id, chat_id=chat_id, problem=problem
        )
        await uow.commit()
    if state is not None:
        log.warning(
            "group of ward %s: %s (was %s)",
            ward_id,
            state.problem or "reachable",
            state.before.group_problem or "reachable",
        )
    return state


async def _tell_heads(uow_factory: UnitOfWorkFactory, bot: Bot, state: GroupState) -> None:
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
            await bot.send_message(head.user_id, t(key, ward=ward.name))
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
    state = await _record(
        uow_factory,
        clock,
        ward_id=ward.id,
        chat_id=ward.group_chat_id,
        problem=problem,
        actor=bot_actor(bot),
    )
    if state is not None:
        await _tell_heads(uow_factory, bot, state)
    return problem


async def follow_status(
    runtime: Runtime,
    bot: Bot,
    *,
    ward_id: int,
    chat_id: int,
    problem: GroupProblem | None,
    actor: Actor,
) -> GroupState | None:
    """The bot's standing in the ward group is known: record it; when the bot can post
    again (or pin at last) repost and pin the board, then tell the head nurses."""
    state = await _record(
        runtime.uow_factory,
        runtime.clock,
        ward_id=ward_id,
        chat_id=chat_id,
        problem=problem,
        actor=actor,
    )
    if state is None:
        return None
    if state.repost:
        try:
            await runtime.publisher.publish(ward_id)
        except Exception:
            # The head nurse is still told; the board comes with the next change.
            log_failure(log, "board repost failed for ward %s", ward_id)
        else:
            await _drop_old_board(runtime, bot, state)
    # Due reminders need nothing here: the next tick claims them again, late ones marked.
    await _tell_heads(runtime.uow_factory, bot, state)
    return state


async def _drop_old_board(runtime: Runtime, bot: Bot, state: GroupState) -> None:
    """The copy posted before the trouble is stale once the new one is up: remove it."""
    old = state.before.board_message_id
    if old is None:
        return
    async with runtime.uow() as uow:
        now = await uow.wards.get(state.ward.id)
    if now is None or now.group_chat_id is None or now.group_chat_id != state.before.group_chat_id:
        return
    if now.board_message_id is None or now.board_message_id == old:
        return
    with contextlib.suppress(TelegramError):
        await bot.delete_message(now.group_chat_id, old)


async def on_my_chat_member(update: Update, context: WardContext) -> None:
    """The bot was removed from, added to, promoted or demoted in a ward group."""
    change = update.my_chat_member
    if change is None or change.chat.type not in _GROUPS:
        return
    runtime = context.runtime
    ward = await _ward_on(runtime.uow_factory, change.chat.id)
    if ward is None:
        return
    await follow_status(
        runtime,
        context.bot,
        ward_id=ward.id,
        chat_id=change.chat.id,
        problem=problem_of(change.new_chat_member),
        actor=_actor(change.from_user, context.bot),
    )


async def probe(runtime: Runtime, bot: Bot) -> None:
    """Ask how the bot stands in each ward group with a problem, and follow the answer."""
    async with runtime.uow() as uow:
        troubled = [w for w in await uow.wards.with_group() if w.group_problem is not None]
    for ward in troubled:
        assert ward.group_chat_id is not None
        problem: GroupProblem | None
        try:
            member = await bot.get_chat_member(ward.group_chat_id, bot.id)
        except ChatMigrated as error:
            await follow_migration(
                runtime.uow_factory,
                runtime.clock,
                old_chat_id=ward.group_chat_id,
                new_chat_id=error.new_chat_id,
                actor=bot_actor(bot),
            )
            continue  # asked again in the new chat on the next check
        except TelegramError as error:
            problem = problem_of_error(error)
            if problem is None:
                continue  # a passing failure says nothing about the group
        else:
            problem = problem_of(member)
        await follow_status(
            runtime,
            bot,
            ward_id=ward.id,
            chat_id=ward.group_chat_id,
            problem=problem,
            actor=bot_actor(bot),
        )


async def check_groups(context: WardContext) -> None:
    """The scheduler job around `probe`."""
    try:
        await probe(context.runtime, context.bot)
    except Exception:
        log_failure(log, "checking the ward groups failed")

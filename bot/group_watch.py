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
    Update,
)
from telegram.constants import ChatType
from telegram.error import ChatMigrated, TelegramError

from boards.access import Actor
from boards.groups import GroupProblem, GroupState
from bot.group_state import (
    actor_of,
    bot_actor,
    follow_migration,
    problem_of,
    problem_of_error,
    record_state,
    tell_heads,
    ward_on,
)
from bot.logsafe import log_failure
from bot.runtime import Runtime, WardContext

__all__ = [
    "CHECK_SECONDS",
    "check_groups",
    "follow_status",
    "on_migrate",
    "on_my_chat_member",
    "probe",
]

log = logging.getLogger(__name__)

# How often a group with a problem is asked how the bot stands there: the fallback for a
# `my_chat_member` that never arrived, and the only call made to such a group meanwhile.
CHECK_SECONDS = 300
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


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
        actor=actor_of(update.effective_user, context.bot),
    )
    if ward is not None:
        # Posted and pinned in the new chat; due reminders go there on the next tick.
        runtime.publisher.request(ward.id)


# --- unreachable, and back ---------------------------------------------------------------


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
    state = await record_state(
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
    await tell_heads(runtime.uow_factory, bot, state)
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
    ward = await ward_on(runtime.uow_factory, change.chat.id)
    if ward is None:
        return
    await follow_status(
        runtime,
        context.bot,
        ward_id=ward.id,
        chat_id=change.chat.id,
        problem=problem_of(change.new_chat_member),
        actor=actor_of(change.from_user, context.bot),
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

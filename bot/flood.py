"""The gate every update passes first: no group replies to strangers, no flooding the bot."""

from __future__ import annotations

import contextlib
import enum
import logging
from collections import deque
from datetime import datetime, timedelta

from telegram import Bot, CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from boards import access
from boards.i18n import Texts, normalise_locale, texts
from boards.model import Ward
from boards.ports import Clock, UnitOfWork
from bot.ratelimit import PriorityRateLimiter
from bot.runtime import Runtime, WardContext

__all__ = ["FloodGuard", "Verdict", "admit"]

log = logging.getLogger(__name__)

_WINDOW = timedelta(minutes=1)
_HINT_EVERY = timedelta(hours=1)
_PRUNE_ABOVE = 4096  # people remembered before the forgotten ones are swept out
_KEY = "flood"


class Verdict(enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"  # the first one over the limit: say so, once
    DROP = "drop"  # any further one until the window frees: silence


class FloodGuard:
    """Per user, at most `per_minute` actions in any minute; the refused ones do not count,
    so whoever keeps pressing is let in again as soon as her earlier actions age out.

    In memory and per process: a restart forgets it, and each bot instance counts its own.
    """

    def __init__(self, clock: Clock, per_minute: int, *, hint_every: timedelta = _HINT_EVERY):
        self.clock = clock
        self.per_minute = per_minute
        self.hint_every = hint_every
        self._recent: dict[int, deque[datetime]] = {}
        self._refused: set[int] = set()
        self._hinted: dict[int, datetime] = {}

    def take(self, user_id: int) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.PASS
        now = self.clock.now()
        recent = self._recent.get(user_id)
        if recent is None:
            if len(self._recent) > _PRUNE_ABOVE:
                self._prune(now)
            recent = self._recent[user_id] = deque()
        while recent and recent[0] <= now - _WINDOW:
            recent.popleft()
        if len(recent) < self.per_minute:
            recent.append(now)
            self._refused.discard(user_id)
            return Verdict.PASS
        if user_id in self._refused:
            return Verdict.DROP
        self._refused.add(user_id)
        return Verdict.REFUSE

    def hint_due(self, user_id: int) -> bool:
        """True at most once per `hint_every` for each person: the stranger's private note."""
        now = self.clock.now()
        last = self._hinted.get(user_id)
        if last is not None and now - last < self.hint_every:
            return False
        if len(self._hinted) > _PRUNE_ABOVE:
            self._hinted = {u: t for u, t in self._hinted.items() if now - t < self.hint_every}
        self._hinted[user_id] = now
        return True

    def _prune(self, now: datetime) -> None:
        for user_id, recent in list(self._recent.items()):
            if not recent or recent[-1] <= now - _WINDOW:
                del self._recent[user_id]
                self._refused.discard(user_id)


def guard(runtime: Runtime) -> FloodGuard:
    """The process's guard, made on first use with the runtime's clock and settings."""
    current = runtime.extras.get(_KEY)
    if not isinstance(current, FloodGuard):
        current = FloodGuard(runtime.clock, runtime.settings.user_actions_per_minute)
        runtime.extras[_KEY] = current
    return current


async def admit(update: Update, context: WardContext) -> bool:
    """Whether a command, button press or dialogue answer goes on to be handled.

    Called before anything else: what is turned away here has changed nothing. In a group,
    only members of the ward bound to it are answered (and, in a group bound to no ward,
    staff of some ward, who may bind it or be told how); anyone else gets silence there and,
    at most once an hour, a private note. Past her per-minute allowance a person gets one
    "too frequent" answer, then silence until her allowance frees.
    """
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    runtime = context.runtime
    flood = guard(runtime)
    query = update.callback_query
    verdict = flood.take(user.id)
    if verdict is Verdict.DROP:
        await _answer(query)
        return False
    private = chat.type == ChatType.PRIVATE
    if private and verdict is Verdict.PASS:
        await _hold(context, chat.id)
        return True
    async with runtime.uow() as uow:
        member, ward = (True, None) if private else await _group_audience(uow, chat.id, user.id)
        prefs = await uow.users.get(user.id)
    own = (prefs.locale if prefs else None) or normalise_locale(user.language_code)
    fallback = ward.locale if ward else runtime.settings.locale
    tz = ward.timezone if ward else runtime.settings.timezone
    # Her own language for what only she sees; the ward's for what the group sees.
    mine = texts(own or fallback, tz)
    if not member:
        if query is not None:
            await _answer(query, mine("err.not_member"))
        elif flood.hint_due(user.id):
            await _hint(context.bot, user.id, mine)
        return False
    if verdict is Verdict.PASS:
        await _hold(context, chat.id)
        return True
    if query is not None:
        await _answer(query, mine("flood.too_fast"))
    else:
        shown = mine if private else texts(fallback, tz)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat.id, shown("flood.too_fast"))
    return False


async def _hold(context: WardContext, chat_id: int) -> None:
    """Keep a place in the group's window for the reply before the handler's transaction."""
    limiter = context.bot.rate_limiter
    if isinstance(limiter, PriorityRateLimiter):
        await limiter.hold(chat_id)


async def _group_audience(uow: UnitOfWork, chat_id: int, user_id: int) -> tuple[bool, Ward | None]:
    """Whether the group's replies may go to this person, and the ward bound to the group."""
    ward = await uow.wards.by_group(chat_id)
    if ward is not None:
        return await access.member_of(uow, ward.id, user_id) is not None, ward
    # Bound to no ward: a head nurse must still be able to /bind it, and staff to be told how.
    return any(m.approved for m in await uow.members.of_user(user_id)), None


async def _answer(query: CallbackQuery | None, text: str | None = None) -> None:
    """Answer a button press (a spinner otherwise keeps turning); a text shows only to her."""
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer(text[:190] if text else None, show_alert=text is not None)


async def _hint(bot: Bot, user_id: int, t: Texts) -> None:
    try:
        await bot.send_message(user_id, t("flood.group_hint"))
    except Forbidden:
        pass  # she never started a private chat with the bot: the hint has nowhere to go
    except TelegramError as error:
        log.info("group hint not delivered: %s", type(error).__name__)

"""Telegram's flood limits, with reminders and overdue notices ahead of ordinary replies."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram import Bot, Message
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, ExtBot

__all__ = ["Priority", "PriorityRateLimiter", "send_urgent"]

log = logging.getLogger(__name__)

_Result = bool | dict[str, Any] | list[dict[str, Any]]
_MAX_IDLE_GATES = 512
_HOLD_SECONDS = 10.0


class Priority(enum.Enum):
    """What a bot call passes as `rate_limit_args`; None is an ordinary request."""

    # A str value, not an int: PTB's own AIORateLimiter would read an int as max_retries.
    URGENT = "urgent"


async def send_urgent(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> Message:
    """`bot.send_message`, marked to go ahead of the replies queued for the same chat."""
    if isinstance(bot, ExtBot) and isinstance(bot.rate_limiter, PriorityRateLimiter):
        return await bot.send_message(chat_id, text, rate_limit_args=Priority.URGENT, **kwargs)
    return await bot.send_message(chat_id, text, **kwargs)


class _Gate:
    """At most `limit` requests in any `period` seconds, granted urgent first, then in order.

    A request holds its place from the grant until its answer came back, and counts in the
    window from that moment: Telegram counts it somewhere in between, so the window here is
    never ahead of Telegram's. Ordinary requests may fill only `limit - reserve` places, so
    an urgent one finds a free place even in the middle of a flood of replies.
    """

    def __init__(self, limit: int, period: float, reserve: int = 0) -> None:
        if not 0 <= reserve < limit:
            raise ValueError("the reserve must leave ordinary requests at least one place")
        self.limit = limit
        self.period = period
        self.reserve = reserve
        self._done: deque[float] = deque()
        self._running = 0
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._halted_until = 0.0
        self._timer: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        self._expire(_now())
        return not (self._done or self._running or self._urgent or self._normal) and (
            self._halted_until <= _now()
        )

    def _expire(self, now: float) -> None:
        while self._done and self._done[0] <= now - self.period:
            self._done.popleft()

    def _free(self, now: float, urgent: bool) -> bool:
        if now < self._halted_until:
            return False
        self._expire(now)
        limit = self.limit if urgent else self.limit - self.reserve
        return len(self._done) + self._running < limit

    async def acquire(self, urgent: bool, *, first: bool = False) -> None:
        """Wait for a place; `first` puts a retried request ahead of its own class."""
        now = _now()
        ahead = self._urgent if urgent else (self._urgent or self._normal)
        if not ahead and self._free(now, urgent):
            self._running += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        if first:
            queue.appendleft(waiter)
        else:
            queue.append(waiter)
        self._pump()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # granted, but its caller is gone before using it
            else:
                with contextlib.suppress(ValueError):  # the pump may have dropped it already
                    queue.remove(waiter)
                self._pump()
            raise

    def release(self) -> None:
        self._running -= 1
        self._done.append(_now())
        self._pump()

    def give_back(self) -> None:
        """A place granted but never used: free again at once, not counted in the window."""
        self._running -= 1
        self._pump()

    def halt(self, seconds: float) -> None:
        """Telegram said to wait: grant nothing here until then."""
        self._halted_until = max(self._halted_until, _now() + seconds)
        self._pump()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _pump(self) -> None:
        now = _now()
        for queue, urgent in ((self._urgent, True), (self._normal, False)):
            while queue and self._free(now, urgent):
                waiter = queue.popleft()
                if not waiter.done():
                    self._running += 1
                    waiter.set_result(None)
            if queue:
                break  # strictly by priority: nothing ordinary while an urgent one waits
        if self._urgent or self._normal:
            self._wake_at(self._next_free())

    def _next_free(self) -> float | None:
        """When a place may free up by itself; None when only a running request can free one.

        Waking early costs a look and a new timer, nothing more.
        """
        if self._halted_until > _now():
            return self._halted_until
        return self._done[0] + self.period if self._done else None

    def _wake_at(self, when: float | None) -> None:
        if when is None:
            return
        if self._timer is not None:
            if self._timer.when() <= when + 0.001:
                return
            self._timer.cancel()
        # A hair late: the loop may run a timer a little early, and then nothing is free yet.
        self._timer = asyncio.get_running_loop().call_at(when + 0.001, self._woken)

    def _woken(self) -> None:
        self._timer = None
        self._pump()


def _now() -> float:
    return asyncio.get_running_loop().time()


class _Held:
    """A place `hold` took in a group's window, for one later message from the same task."""

    def __init__(self, gate: _Gate, chat_id: int, seconds: float) -> None:
        self.gate = gate
        self.chat_id = chat_id
        # The task, not just the context: a task a handler starts (a board refresh) copies
        # the context, and must not take the place meant for the handler's own reply.
        self.task = asyncio.current_task()
        self._open = True
        self._timer = asyncio.get_running_loop().call_later(seconds, self.give_back)

    def take(self, gate: _Gate) -> bool:
        if not self._open or gate is not self.gate or asyncio.current_task() is not self.task:
            return False
        self._open = False
        self._timer.cancel()
        return True

    def give_back(self) -> None:
        if self._open:
            self._open = False
            self._timer.cancel()
            self.gate.give_back()


_HELD: ContextVar[_Held | None] = ContextVar("wardboard_held_place", default=None)


class PriorityRateLimiter(BaseRateLimiter[Priority]):
    """PTB's AIORateLimiter limits (30 a second overall, 20 a minute per group, retries on
    RetryAfter), with urgent requests (`Priority.URGENT`) going first in each group.

    Differences from AIORateLimiter, each on purpose:
    - a sliding window (never more than 20 in any minute) instead of a leaky bucket, which
      lets through bursts that Telegram answers with a RetryAfter of most of a minute;
    - `group_reserve` places of each group's window are kept for urgent requests;
    - a RetryAfter from a group call halts that group only, so one flooded ward group does
      not hold back the reminders of every other ward; any other RetryAfter halts all calls;
    - `hold` lets a handler take its reply's place before it opens its transaction.
    """

    def __init__(
        self,
        overall_max_rate: int = FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1.0,
        group_max_rate: int = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60.0,
        group_reserve: int = 3,
        max_retries: int = 0,
    ) -> None:
        self._overall = _Gate(overall_max_rate, overall_time_period)
        self._group_args = (group_max_rate, group_time_period, group_reserve)
        _Gate(*self._group_args)  # checks the arguments now rather than at the first send
        self._groups: dict[int | str, _Gate] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the gates are made on first use."""

    async def shutdown(self) -> None:
        for gate in (self._overall, *self._groups.values()):
            gate.close()

    async def hold(self, chat_id: int, *, seconds: float = _HOLD_SECONDS) -> None:
        """Take a place now for this task's next ordinary message to the group `chat_id`.

        Called before a handler opens its transaction: a handler that waits for Telegram's
        limit inside it holds SQLite's one write lock, and the reminder dispatcher waits
        behind that. A place not used within `seconds`, or by the next `hold` in this task
        (the next update), is given back.
        """
        leftover = _HELD.get()
        if leftover is not None:
            leftover.give_back()
            _HELD.set(None)
        if chat_id >= 0:
            return
        gate = self._group(chat_id)
        await gate.acquire(urgent=False)
        _HELD.set(_Held(gate, chat_id, seconds))

    def _group(self, chat_id: int | str) -> _Gate:
        gate = self._groups.get(chat_id)
        if gate is None:
            if len(self._groups) > _MAX_IDLE_GATES:
                for key, old in list(self._groups.items()):
                    if old.idle:
                        old.close()
                        del self._groups[key]
            gate = self._groups[chat_id] = _Gate(*self._group_args)
        return gate

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, _Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | None,
    ) -> _Result:
        urgent = rate_limit_args is Priority.URGENT
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        # As in AIORateLimiter: negative ids and @usernames are groups or channels, and only
        # calls naming a chat count towards the overall limit.
        group = (
            self._group(chat_id)
            if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
            else None
        )
        gates = [g for g in (group, self._overall if chat_id is not None else None) if g]
        ticket = _HELD.get()
        for attempt in range(self._max_retries + 1):
            held: list[_Gate] = []
            try:
                for gate in gates:
                    if gate is group and not urgent and ticket is not None and ticket.take(gate):
                        ticket = None  # the place taken by `hold` for this very message
                    else:
                        await gate.acquire(urgent, first=attempt > 0)
                    held.append(gate)
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self._max_retries:
                    log.warning("%s still rate limited after %d retries", endpoint, attempt)
                    raise
                # The public `retry_after` warns while PTB still allows ints; the timedelta
                # behind it is what AIORateLimiter reads too.
                wait = error._retry_after.total_seconds() + 0.1
                log.info("%s rate limited; retrying in %.1f s", endpoint, wait)
                (group or self._overall).halt(wait)
            finally:
                for gate in held:
                    gate.release()
        raise AssertionError("unreachable")  # pragma: no cover

"""Telegram's flood limits (sliding windows, per bot and per group) and injected faults."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from bot.emulator._model import Fault
from bot.emulator._params import Params

__all__ = ["FaultRule"]

FaultRule = Callable[[str, Params], Fault | None]

# What Telegram's flood limits count: messages appearing or changing in a chat.
_COUNTED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)


class _Window:
    """At most `count` events in any `period` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        return 0.0 if len(self.times) < self.count else self.times[0] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)


class _Limits:
    """What may make a call fail before it does anything: an injected fault or a flood limit."""

    def __init__(self, overall_limit: tuple[int, float], group_limit: tuple[int, float]) -> None:
        self.injected: dict[str, deque[Fault]] = {}
        self.rule: FaultRule | None = None
        self._overall = _Window(*overall_limit)
        self._group_limit = group_limit
        self._group_windows: dict[int, _Window] = {}

    def inject(self, method: str, errors: Sequence[Fault]) -> None:
        """Make the next calls of `method` fail with these faults, in order."""
        self.injected.setdefault(method, deque()).extend(errors)

    def fault(self, method: str, params: Params) -> Fault | None:
        """The next injected fault of `method`, else what the fault rule says."""
        queued = self.injected.get(method)
        error = queued.popleft() if queued else None
        if error is None and self.rule is not None:
            error = self.rule(method, params)
        return error

    def wait(self, method: str, group_id: int | None, now: float) -> float:
        """Seconds until `method` may run again in this group (0: now); only counted ones wait."""
        if method not in _COUNTED:
            return 0.0
        return max(window.wait(now) for window in self._windows(group_id))

    def count(self, method: str, group_id: int | None, now: float) -> None:
        """A call of `method` that went through: it uses up room in its windows."""
        if method in _COUNTED:
            for window in self._windows(group_id):
                window.add(now)

    def _windows(self, group_id: int | None) -> list[_Window]:
        windows = [self._overall]
        if group_id is not None:
            windows.append(self._group_windows.setdefault(group_id, _Window(*self._group_limit)))
        return windows

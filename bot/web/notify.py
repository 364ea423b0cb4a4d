"""Tells open screens that their ward changed: one in-process version counter per ward."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

__all__ = ["ScreenNotifier"]


class ScreenNotifier:
    """`changed(ward)` after a commit; each screen's stream waits in `wait(ward, seen)`.

    A counter rather than a queue: a screen that was busy sees one change for many, and
    never falls behind.
    """

    def __init__(self) -> None:
        self._versions: dict[int, int] = defaultdict(int)
        self._waiting: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._closed = False

    def version(self, ward_id: int) -> int:
        return self._versions[ward_id]

    def changed(self, ward_id: int) -> None:
        self._versions[ward_id] += 1
        for event in self._waiting.get(ward_id, ()):
            event.set()

    def close(self) -> None:
        """Wake every waiting stream so the server can stop."""
        self._closed = True
        for events in self._waiting.values():
            for event in events:
                event.set()

    @property
    def closed(self) -> bool:
        return self._closed

    async def wait(self, ward_id: int, seen: int, timeout: float) -> int:  # noqa: ASYNC109
        """The ward's version once it moved past `seen`, or after `timeout` seconds."""
        if self._versions[ward_id] != seen or self._closed:
            return self._versions[ward_id]
        event = asyncio.Event()
        self._waiting[ward_id].add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            self._waiting[ward_id].discard(event)
        return self._versions[ward_id]

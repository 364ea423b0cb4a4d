"""Memoised pure functions that take patient text, registered so retention can empty them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["forget_patient_text", "patient_text_cache", "remember_patient_text"]

_T = TypeVar("_T")
_CACHES: list[functools._lru_cache_wrapper[object]] = []
# Other keepers of patient text (boards.board_load's boards): each empties itself, says how
# many entries it dropped.
_KEEPERS: list[Callable[[], int]] = []


def remember_patient_text(forget: Callable[[], int]) -> None:
    """Register a keeper of patient text that is not an lru_cache: `forget` empties it."""
    _KEEPERS.append(forget)


def patient_text_cache(
    maxsize: int,
) -> Callable[[Callable[..., _T]], functools._lru_cache_wrapper[_T]]:
    """`functools.lru_cache(maxsize)` for a function whose arguments may be a patient's
    name, a diagnosis or a tag's detail (an allergen): entries outlive the stay in the
    database, so the process forgets them all when retention runs (`forget_patient_text`)."""

    def wrap(function: Callable[..., _T]) -> functools._lru_cache_wrapper[_T]:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        _CACHES.append(cached)
        return cached

    return wrap


def forget_patient_text() -> int:
    """Empty every registered cache; how many entries were dropped."""
    dropped = 0
    for cached in _CACHES:
        dropped += cached.cache_info().currsize
        cached.cache_clear()
    for forget in _KEEPERS:
        dropped += forget()
    return dropped

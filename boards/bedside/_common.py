"""Helpers the bedside modules share: cleaning, echoing and listing words in a language."""

from __future__ import annotations

from collections.abc import Iterable

from boards.tags import TagKind
from boards.text import excerpt

__all__ = [
    "CUSTOM_DEFAULT_COLOUR",
    "is_zh",
    "joined",
    "shown",
    "tag_name",
]

CUSTOM_DEFAULT_COLOUR = "#616161"


def shown(word: str) -> str:
    # Echoed words go into replies: short, cleaned, and never a whole pasted paragraph.
    return excerpt(word, 16)


def is_zh(locale: str) -> bool:
    return not locale.startswith("en")


def tag_name(kind: TagKind, locale: str) -> str:
    return kind.name_zh if is_zh(locale) else kind.name_en


def joined(names: Iterable[str], locale: str) -> str:
    return ("、" if is_zh(locale) else ", ").join(names)

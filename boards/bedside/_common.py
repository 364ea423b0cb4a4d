"""Helpers the bedside modules share: cleaning, echoing and listing words in a language."""

from __future__ import annotations

from collections.abc import Iterable

from boards.i18n import is_chinese
from boards.tags import TagKind
from boards.text import excerpt

__all__ = [
    "CUSTOM_DEFAULT_COLOUR",
    "joined",
    "shown",
    "tag_name",
]

CUSTOM_DEFAULT_COLOUR = "#616161"


def shown(word: str) -> str:
    # Echoed words go into replies: short, cleaned, and never a whole pasted paragraph.
    return excerpt(word, 16)


def tag_name(kind: TagKind, locale: str) -> str:
    return kind.name_zh if is_chinese(locale) else kind.name_en


def joined(names: Iterable[str], locale: str) -> str:
    return ("、" if is_chinese(locale) else ", ").join(names)

"""Helpers the bedside modules share: a tag's name and a list of names in a locale's language."""

from __future__ import annotations

from collections.abc import Iterable

from boards.i18n import is_chinese, pick
from boards.tags import TagKind

__all__ = [
    "CUSTOM_DEFAULT_COLOUR",
    "joined",
    "tag_name",
]

CUSTOM_DEFAULT_COLOUR = "#616161"


def tag_name(kind: TagKind, locale: str) -> str:
    return pick(locale, kind.name_zh, kind.name_en)


def joined(names: Iterable[str], locale: str) -> str:
    return ("、" if is_chinese(locale) else ", ").join(names)

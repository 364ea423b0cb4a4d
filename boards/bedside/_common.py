"""Helpers the bedside modules share: cleaning, echoing and listing words in a language."""

from __future__ import annotations

from collections.abc import Iterable

from boards.errors import BadInput
from boards.tags import TagKind
from boards.text import clean_text, excerpt

__all__ = [
    "CUSTOM_DEFAULT_COLOUR",
    "clean_field",
    "is_zh",
    "joined",
    "shown",
    "tag_name",
]

CUSTOM_DEFAULT_COLOUR = "#616161"


def clean_field(text: str | None, *, limit: int) -> str | None:
    """Cleaned (boards.text); None for nothing; BadInput past `limit` characters.

    No NFKC: compatibility forms carry meaning in clinical text (10⁹/L, ①②, m²); names
    are looked up through normalise_key, which folds them.
    """
    if text is None:
        return None
    clean = clean_text(text, nfkc=False)
    if not clean:
        return None
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


def shown(word: str) -> str:
    # Echoed words go into replies: short, cleaned, and never a whole pasted paragraph.
    return excerpt(word, 16)


def is_zh(locale: str) -> bool:
    return not locale.startswith("en")


def tag_name(kind: TagKind, locale: str) -> str:
    return kind.name_zh if is_zh(locale) else kind.name_en


def joined(names: Iterable[str], locale: str) -> str:
    return ("、" if is_zh(locale) else ", ").join(names)

"""Cleaning of text typed by people: NFKC, no invisible or control characters."""

from __future__ import annotations

import functools
import importlib.resources
import unicodedata

from boards.errors import BadInput

__all__ = [
    "clean_field",
    "clean_text",
    "excerpt",
    "graphemes",
    "has_invisible",
    "is_clean",
    "is_number",
    "typed_number",
    "visible_len",
]

# Format (zero-width space/joiners, BOM, soft hyphen, bidi embeddings, overrides, isolates
# and marks, word joiner, tag characters), control, private-use, unassigned and surrogate
# code points. None draws a character a reader can see, yet each one counts as a character
# and may reorder what is drawn around it: "张\u200b三" looks like a two-character name but
# would mask as 张*三. Unassigned ones are dropped too, since no font shows them.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs"})

# Default-ignorable code points of other categories (Unicode's DerivedCoreProperties):
# renderers draw nothing for them either.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xE0100, 0xE01EF),  # variation selectors supplement
)

# Characters that draw as blank space without being Unicode whitespace: read as a space,
# so a "name" made of them is empty.
_BLANKS = str.maketrans({"\u2800": " "})  # braille pattern blank

# Line breaks, kept (as "\n") only in multiline text.
_LINE_BREAKS = frozenset(
    {"\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
)


@functools.lru_cache(maxsize=8192)
def _dropped(ch: str) -> bool:
    """True for a code point that draws nothing (whitespace aside)."""
    # Cached: a text is checked character by character, and a ward types few distinct ones.
    if unicodedata.category(ch) in _DROPPED_CATEGORIES and not ch.isspace():
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _one_line(text: str) -> str:
    """Whitespace runs as one space, no space at the ends, no mark left without a letter."""
    words = []
    for word in text.translate(_BLANKS).split():
        # A combining mark at the start of a word has no letter to sit on: it would draw on
        # whatever precedes it in the message (the bed number, a star).
        start = 0
        while start < len(word) and _is_mark(word[start]):
            start += 1
        if start < len(word):
            words.append(word[start:])
    return " ".join(words)


@functools.cache
def _traditional_to_simplified() -> dict[int, str]:
    table = importlib.resources.files("boards").joinpath("locales", "t2s.txt").read_text("utf-8")
    return {ord(line[0]): line[1] for line in table.splitlines() if len(line) == 2}


def fold_traditional(text: str) -> str:
    """Traditional characters as Simplified ones (藥物過敏 → 药物过敏), for reading the words
    a command knows (tags, lines, levels, times) whichever script the nurse types; never
    for what is kept (names, diagnoses, notes stay as typed)."""
    return text.translate(_traditional_to_simplified())


@functools.cache
def _simplified_to_traditional() -> tuple[dict[str, str], dict[int, str]]:
    table = importlib.resources.files("boards").joinpath("locales", "s2t.txt").read_text("utf-8")
    names: dict[str, str] = {}
    characters: dict[int, str] = {}
    for line in table.splitlines():
        simplified, tab, traditional = line.partition("\t")
        if not tab or line.startswith("#"):
            continue
        if len(simplified) == 1 and len(traditional) == 1:
            characters[ord(simplified)] = traditional
        else:
            names[simplified] = traditional
    return names, characters


def to_traditional(text: str) -> str:
    """A name the domain holds in Simplified (a tag, a line, a shift) as a Hong Kong or Taiwan
    nurse reads it: the drafted whole name where there is one (术后 → 術後, 胃管 → 鼻胃管),
    else character by character (a name the head nurse added herself)."""
    names, characters = _simplified_to_traditional()
    return names.get(text) or text.translate(characters)


def clean_text(value: str, *, multiline: bool = False, nfkc: bool = True) -> str:
    """Text as a nurse meant it: what she can see, in one normal form.

    - Invisible code points are dropped (format, control, private-use, unassigned,
      surrogates, default-ignorables such as variation selectors).
    - NFKC: full-width letters, digits and punctuation become their plain forms
      (１２ → 12, ＰＩＣＣ → PICC, ： → :), compatibility ideographs their unified ones.
    - Whitespace runs (tabs, newlines, ideographic and no-break spaces included) become
      one space; the ends are stripped. With `multiline`, line breaks survive as "\\n"
      (at most one blank line in a row) and each line is cleaned on its own.
    - A combining mark with no letter before it is dropped.

    The result is NFKC-normalised and cleaning it again changes nothing. `nfkc=False`
    leaves the characters themselves alone: for free clinical text, where compatibility
    forms carry meaning (10⁹/L is not 109/L), and for masking, which shows a stored
    name's first character as stored (ŉ, not its NFKC form ʼn).
    """
    if value.isascii() and value.isprintable():
        # The common case, and already in NFKC: only spaces to collapse.
        return " ".join(value.split())
    text = "".join(ch for ch in value if not _dropped(ch))
    if nfkc:
        # After the drop, so that a mark kept apart from its letter by a zero-width
        # character composes with it (e\u200b\u0301 → é).
        text = unicodedata.normalize("NFKC", text)
    if not multiline:
        return _one_line(text)
    text = text.replace("\r\n", "\n")
    lines = "".join("\n" if ch in _LINE_BREAKS else ch for ch in text).split("\n")
    out: list[str] = []
    for line in map(_one_line, lines):
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def has_invisible(value: str) -> bool:
    """True when the text holds a code point that draws nothing (whitespace aside)."""
    return any(_dropped(ch) for ch in value)


def is_clean(value: str, *, multiline: bool = False, nfkc: bool = True) -> bool:
    """True when `clean_text` would return the text unchanged."""
    return clean_text(value, multiline=multiline, nfkc=nfkc) == value


_MARKS_PER_CHARACTER = 4


def graphemes(value: str) -> list[str]:
    """The characters a reader sees: each letter with the combining marks drawn on it.

    An approximation of Unicode's grapheme clusters that is enough for masking and
    counting: a base character and the marks (and emoji skin-tone modifiers) after it.
    """
    clusters: list[str] = []
    for ch in value:
        attaches = _is_mark(ch) or 0x1F3FB <= ord(ch) <= 0x1F3FF
        # A pile of marks (or of skin-tone modifiers) on one letter is noise, not a letter:
        # past a few, each counts as a character of its own, so limits and excerpts hold.
        if clusters and attaches and len(clusters[-1]) <= _MARKS_PER_CHARACTER:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def visible_len(value: str) -> int:
    """How many characters a reader sees once the text is cleaned."""
    return len(graphemes(clean_text(value)))


def excerpt(value: str, limit: int = 16) -> str:
    """A short, cleaned echo of what was typed, for a refusal ("床号「…」无法识别")."""
    return "".join(graphemes(clean_text(value))[:limit]).rstrip(" ")


def clean_field(text: str | None, *, limit: int) -> str | None:
    """Free clinical text cleaned, None for nothing, BadInput past `limit` characters.

    No NFKC: compatibility forms carry meaning in clinical text (10⁹/L, ①②, m²); names
    are looked up through their own normalising keys.
    """
    if text is None:
        return None
    clean = clean_text(text, nfkc=False)
    if not clean:
        return None
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


# The largest row id (PostgreSQL's integer) and Telegram user id (its bigint).
ROW_ID_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def is_number(text: str, *, most: int = ROW_ID_MAX) -> bool:
    """A number as the bot writes it into a button, or a nurse types an id or a count:
    ASCII digits only, at most `most`. `str.isdigit` also passes "²" and "①", which `int`
    refuses, and an id past its column's range would fail in the database instead (a row
    id is PostgreSQL's integer, `ROW_ID_MAX`; a Telegram user id its bigint, `BIGINT_MAX`)."""
    return (
        0 < len(text) <= len(str(most)) and text.isascii() and text.isdigit() and int(text) <= most
    )


def typed_number(word: str, *, most: int = ROW_ID_MAX, listed: bool = False) -> int | None:
    """A number a nurse typed (a count, minutes, or with `listed` a list's #3): full-width
    digits read as ASCII; None when it is no such number."""
    text = clean_text(word)
    if listed:
        text = text.lstrip("#＃")
    return int(text) if is_number(text, most=most) else None

"""Patient-name masking for group messages and printed signs: 张*, 张*三, 欧**华, J. S***."""

from __future__ import annotations

import re
from collections.abc import Sequence

from boards.text import clean_text, graphemes

__all__ = ["MASK", "mask_name"]

MASK = "*"

# Stars stand for hidden characters, but a 40-character transliterated name must still fit
# a sign, and the exact length says little worth keeping: more than four are shown as four.
_MAX_STARS = 4

# The common name: ideographs only (CJK Unified and Extension A, every one of them assigned,
# none a mark, a space or invisible), which cleaning leaves as it is, one character each.
_IDEOGRAPHS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")


def _is_syllabic(ch: str) -> bool:
    """Scripts where each character is a syllable of the name (Han, kana, Hangul), so
    masking goes character by character rather than word by word."""
    cp = ord(ch)
    return (
        0x3400 <= cp <= 0x4DBF  # CJK Extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0xF900 <= cp <= 0xFAFF  # CJK Compatibility Ideographs
        or 0x20000 <= cp <= 0x3FFFF  # Extensions B onwards
        or 0x3040 <= cp <= 0x30FF  # Hiragana, Katakana
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
    )


def mask_name(name: str) -> str:
    """Mask a patient's name, keeping its first character.

    - Chinese (and other syllabic) names: first character, one star per hidden character
      (at most four), and for three or more characters the last: 张三 → 张*, 张小三 → 张*三,
      欧阳娜华 → 欧**华. Spaces inside are dropped (张 三 is 张三).
    - Other names, word by word: initials, the last word's initial followed by ***:
      John Smith → J. S***, Madonna → M***.
    - A single character keeps it and adds a star (李 → 李*), so the output always shows
      it was masked. Empty or blank input gives "".

    Characters are counted as a reader sees them: the name is cleaned first (boards.text),
    so invisible characters (张\u200b三 is 张三 → 张*) and bidi controls in stored names
    reveal nothing more, and a letter with its combining marks is one character.

    The full name is never returned: the output always holds a star, so only a name that
    already is a masked form comes back unchanged (masking is idempotent).
    """
    if _IDEOGRAPHS.fullmatch(name):
        # Cleaning and counting would change nothing: thousands are masked at 08:00.
        return _by_character(name)
    # Not NFKC: the first character shows as stored (typed names were NFKC'd already).
    text = clean_text(name, nfkc=False)
    if not text:
        return ""
    # A one-word text holding a star is already masked (it may be a mixed-script name,
    # "A一B" → "A*B"): the character rule leaves such forms as they are.
    if any(_is_syllabic(ch) for ch in text) or (MASK in text and " " not in text):
        return _by_character(graphemes(text.replace(" ", "")))
    words = text.split(" ")
    initials = [f"{graphemes(w)[0]}." for w in words[:-1]]
    return " ".join([*initials, graphemes(words[-1])[0] + MASK * 3])


def _by_character(chars: Sequence[str]) -> str:
    """First character, a star per hidden one (at most four), the last from three on."""
    if len(chars) <= 2:
        return chars[0] + MASK
    return chars[0] + MASK * min(len(chars) - 2, _MAX_STARS) + chars[-1]

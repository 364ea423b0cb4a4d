"""What nurses type after the bed: /tag's tag and detail; /line's type, site, time, purpose."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.lines import DEFAULT_LINES, LineKind, line_candidates
from boards.tags import DEFAULT_TAGS, TagKind, normalise_key, tag_candidates
from boards.text import clean_text, excerpt
from boards.when import is_date_shaped, take_when

__all__ = ["parse_line_args", "parse_tag_args"]

_COLON = re.compile(r"([^:：]+?)\s*[:：]\s*(.*)")


def _words(args: Sequence[str], *, nfkc: bool) -> list[str]:
    # Cleaned first, so every word and every text built from them has nothing invisible.
    # NFKC where times are read (full-width digits and colons, １１－２０, １４：３０, become
    # plain ones); not in a tag's detail, whose compatibility forms carry meaning (10⁹/L).
    return clean_text(" ".join(args), nfkc=nfkc).split()


def _name_length(words: Sequence[str], names: Callable[[str], Sequence[object]]) -> int:
    """How many leading words (up to three) name a kind together: "drug allergy"."""
    for n in (3, 2):
        # Every word must count: "PICC -" is PICC and a placeholder, not a longer name.
        if len(words) >= n and all(map(normalise_key, words[:n])) and names(" ".join(words[:n])):
            return n
    return 1


def parse_tag_args(
    args: Sequence[str], *, kinds: Sequence[TagKind] = DEFAULT_TAGS
) -> tuple[str, str | None]:
    """Split the words after the bed of `/tag <bed> <tag> [detail]` into (tag word, detail).

    The tag is the first word, or the first two or three when together they name a kind
    in `kinds` ("drug allergy", "nil by mouth"); everything after it is the detail:
    `过敏 青霉素,头孢` → ("过敏", "青霉素,头孢"). A colon may join them instead:
    `过敏:青霉素`, `过敏：青霉素`. Whether the word names a kind is the service's check.
    """
    words = _words(args, nfkc=False)
    if not words:
        raise BadInput("err.missing_args")
    text = " ".join(words)
    m = _COLON.fullmatch(text)
    if m is not None and (" " not in m.group(1) or tag_candidates(m.group(1), kinds)):
        # Cleaned again: a mark that sat on the colon would start the detail.
        return m.group(1), clean_text(m.group(2), nfkc=False) or None
    taken = _name_length(words, lambda text: tag_candidates(text, kinds))
    return " ".join(words[:taken]), " ".join(words[taken:]) or None


_NO_SITE = {"-", "—", "/", "无"}


def _when(
    words: Sequence[str], i: int, *, now: datetime, tz: ZoneInfo
) -> tuple[datetime, int] | None:
    """The insertion time starting at words[i] (boards.when; a day alone is its 00:00, so a
    dwell limit is never reached later than it really is) and how many words it takes."""
    found = take_when(words[i:], now=now, tz=tz, day_alone=True)
    if found is None and is_date_shaped(words[i]):
        raise BadInput("err.time_form", value=excerpt(words[i]))  # 11-31: no such day
    return found


def parse_line_args(
    args: Sequence[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: Sequence[LineKind] = DEFAULT_LINES,
) -> tuple[str, str | None, datetime, str | None]:
    """Read the words after the bed of `/line <bed> <type> [site] [inserted] [purpose]`.

    - type: the first word, or the first two or three when together they name a kind
      ("iv cannula", "chest tube").
    - inserted: the first later run of words that boards.when reads as a time:
      `14:30`, `0830`, `8点半`, `11-20`, `11月20日`, `2025-11-20`, `11-20 14:30`,
      `11月20日14:30`, `今天`, `昨天 22:00`, `前天`, `2小时前`. A date without a year is the
      nearest such date, a clock without a date today's (the same in every command), a day
      without a clock its 00:00. None given: now. (A time ahead stays in the future, for the
      service to refuse: a typo is not silently moved back.)
    - site and purpose: with a time, the words before it are the site and the words after
      it the purpose; without one, the first word is the site and the rest the purpose.
      A site of "-" means none: `/line 12 PICC - 化疗`.

    Returns (type word, site, inserted_at as aware UTC, purpose). Whether the type is
    known and the time not in the future is the service's check.
    """
    words = _words(args, nfkc=True)
    if not words:
        raise BadInput("err.missing_args")
    taken = _name_length(words, lambda text: line_candidates(text, kinds))
    word, rest = " ".join(words[:taken]), words[taken:]
    inserted: datetime | None = None
    before, after = rest[:1], rest[1:]
    for i in range(len(rest)):
        found = _when(rest, i, now=now, tz=tz)
        if found is not None:
            inserted, used = found
            before, after = rest[:i], rest[i + used :]
            break
    site = " ".join(before) or None
    if site in _NO_SITE:
        site = None
    when = (inserted if inserted is not None else now).astimezone(UTC)
    return word, site, when, " ".join(after) or None

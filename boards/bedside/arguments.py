"""What nurses type after the bed: /tag's tag and detail; /line's type, site, time, purpose."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.lines import DEFAULT_LINES, LineKind, line_candidates
from boards.parsing import parse_clock
from boards.tags import DEFAULT_TAGS, TagKind, normalise_key, tag_candidates
from boards.text import clean_text, excerpt

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


_DAY_WORDS = (
    ("yesterday", -1),
    ("tomorrow", 1),
    ("today", 0),
    ("今天", 0),
    ("今日", 0),
    ("昨天", -1),
    ("昨日", -1),
    ("前天", -2),
    ("明天", 1),
    ("后天", 2),
    ("後天", 2),
)
# "." is left to clock times (8.30 is half past eight), so dates use - / or 月日.
_DATE = re.compile(r"(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})(?:日(.*))?")
_BARE_NUMBER = re.compile(r"\d{1,2}")
_NO_SITE = {"-", "—", "/", "无"}
_YEARS = range(1900, 2101)
# A date or time given without its year or day means the nearest one, but a typo just
# ahead of now must be refused as in the future, not silently moved a year or a day back:
# only dates more than half a year ahead (12-30 typed in January) are last year's, and
# only times more than half a day ahead (22:00 typed at 01:00) yesterday's.
_YEAR_WRAP = timedelta(days=183)
_DAY_WRAP = timedelta(hours=12)


def _clock(text: str) -> time | None:
    # A bare "2" is far more often a drain's number than two o'clock.
    if _BARE_NUMBER.fullmatch(text):
        return None
    return parse_clock(text)


def _day(word: str, local_today: date) -> tuple[date, str] | None:
    """The day a word starts with, and what follows it in the same word; None if it
    names no day; BadInput for a date-shaped word that is no date (11-31)."""
    lower = word.lower()
    for name, offset in _DAY_WORDS:
        if lower.startswith(name):
            return local_today + timedelta(days=offset), word[len(name) :]
    m = _DATE.fullmatch(word)
    if m is None:
        return None
    year = int(m.group(1)) if m.group(1) else local_today.year
    try:
        if year not in _YEARS:
            raise ValueError(year)
        day = date(year, int(m.group(2)), int(m.group(3)))
        if m.group(1) is None and day - local_today > _YEAR_WRAP:
            day = date(year - 1, day.month, day.day)
    except ValueError as exc:
        raise BadInput("err.time_form", value=excerpt(word)) from exc
    return day, m.group(4) or ""


def _when(
    words: Sequence[str], i: int, *, now: datetime, tz: ZoneInfo
) -> tuple[datetime, int] | None:
    """The insertion time starting at words[i] and how many words it takes, or None."""
    word = words[i]
    local_now = now.astimezone(tz)
    found = _day(word, local_now.date())
    if found is None:
        clock = _clock(word)
        if clock is None:
            return None
        at = datetime.combine(local_now.date(), clock, tzinfo=tz)
        if at - local_now > _DAY_WRAP:
            at = datetime.combine(local_now.date() - timedelta(days=1), clock, tzinfo=tz)
        return at.astimezone(UTC), 1
    day, rest = found
    used = 1
    if rest:
        clock = _clock(rest)
        if clock is None:
            return None
    elif i + 1 < len(words) and (clock := _clock(words[i + 1])) is not None:
        used = 2
    else:
        # Only the date is known: count from the start of that day, so a dwell limit is
        # never reached later than it really is.
        clock = time(0, 0)
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC), used


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
    - inserted: the first later word (or date + time pair) that reads as a time:
      `14:30`, `0830`, `8点半`, `11-20`, `11月20日`, `2025-11-20`, `11-20 14:30`,
      `11月20日14:30`, `今天`, `昨天 22:00`, `前天`. A date without a year is this year's,
      or last year's when this year's is more than half a year ahead; a time without a
      date today's, or yesterday's when today's is more than 12 hours ahead; a date
      without a time its 00:00. None given: now. (A time just ahead stays in the future,
      for the service to refuse: a typo is not silently moved back.)
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

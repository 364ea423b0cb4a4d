"""Message catalogues (gettext .po, read with Babel) and ward-local formatting of beds, times."""

from __future__ import annotations

import functools
import importlib.resources
import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po

from boards.text import to_traditional

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Texts",
    "catalogue",
    "is_chinese",
    "normalise_locale",
    "pick",
    "texts",
]

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "zh_TW", "en")
_ALIASES = {
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh-cn": "zh_CN",
    "zh-hans": "zh_CN",
    "cn": "zh_CN",
    "中文": "zh_CN",
    "简体": "zh_CN",
    "简体中文": "zh_CN",
    # Traditional Chinese: Hong Kong, Macau and Taiwan wards (Telegram sends zh-hant)
    "zh_tw": "zh_TW",
    "zh-tw": "zh_TW",
    "zh-hant": "zh_TW",
    "zh-hant-tw": "zh_TW",
    "zh-hant-hk": "zh_TW",
    "zh_hk": "zh_TW",
    "zh-hk": "zh_TW",
    "zh-mo": "zh_TW",
    "tw": "zh_TW",
    "hk": "zh_TW",
    "繁體": "zh_TW",
    "繁体": "zh_TW",
    "繁體中文": "zh_TW",
    "繁体中文": "zh_TW",
    "正體": "zh_TW",
    "en": "en",
    "en_us": "en",
    "en-us": "en",
    "en_gb": "en",
    "en-gb": "en",
    "english": "en",
    "英文": "en",
}


def normalise_locale(text: str | None) -> str | None:
    """A supported locale for a user's choice or Telegram language code, else None."""
    if not text:
        return None
    return _ALIASES.get(text.strip().lower())


def is_chinese(locale: str | None) -> bool:
    """Whether text in this locale is Chinese (the names a catalogue does not hold, such as a
    tag's `name_zh` or `name_en`): a locale we do not know reads as the default, Chinese."""
    return (normalise_locale(locale) or DEFAULT_LOCALE).startswith("zh")


def pick(locale: str | None, chinese: str, english: str) -> str:
    """The one of a domain name's two spellings (a tag's, a line's, a shift's) in this
    locale: English, Chinese, or the Chinese drafted in Traditional for zh_TW."""
    known = normalise_locale(locale) or DEFAULT_LOCALE
    if not known.startswith("zh"):
        return english
    return to_traditional(chinese) if known == "zh_TW" else chinese


@functools.cache
def catalogue(locale: str) -> dict[str, str]:
    """The key → text table of one locale, loaded once from its .po file."""
    resource = importlib.resources.files("boards").joinpath(
        "locales", locale, "LC_MESSAGES", "wardboard.po"
    )
    with resource.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    table: dict[str, str] = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            table[message.id] = message.string or message.id
    return table


# Bed labels a `Texts` keeps (more than any ward has beds; past it, they are made each time).
_BEDS_KEPT = 2048


class Texts:
    """Everything a reply needs in one locale: catalogue lookups and formatting."""

    def __init__(self, locale: str, tz: ZoneInfo | None = None) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self._table = catalogue(self.locale)
        self._babel = Locale.parse(self.locale)
        # "12床" by bed: a board names each bed several times, and beds are few.
        self._beds: dict[str, str] = {}

    def __call__(self, key: str, /, **params: Any) -> str:
        text = self._table.get(key)
        if text is None:
            fallback = catalogue(DEFAULT_LOCALE).get(key)
            if fallback is None and os.environ.get("WARDBOARD_STRICT_TEXTS"):
                # The tests run strict: a key the code uses and no catalogue has fails there.
                raise KeyError(f"no catalogue text for {key!r}")
            # In a ward a missing key must not crash a reply: the key itself is shown.
            text = fallback or key
        return text.format(**params) if params else text

    @property
    def chinese(self) -> bool:
        """Whether this locale is Chinese: choose between a `name_zh` and a `name_en`."""
        return is_chinese(self.locale)

    def pick(self, chinese: str, english: str) -> str:
        """The one of two names (a tag's, a line's, a shift's) in this locale's language."""
        return pick(self.locale, chinese, english)

    def has(self, key: str) -> bool:
        return key in self._table

    def bed(self, bed: str) -> str:
        label = self._beds.get(bed)
        if label is None:
            if bed.startswith("+"):
                label = self("fmt.extra_bed", n=bed[1:])
            else:
                label = self("fmt.bed", bed=bed)
            if len(self._beds) < _BEDS_KEPT:
                self._beds[bed] = label
        return label

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def hm(self, when: datetime) -> str:
        return self.local(when).strftime("%H:%M")

    def date(self, when: datetime) -> str:
        return format_date(self.local(when).date(), self("fmt.date_pattern"), locale=self._babel)

    def weekday(self, when: datetime) -> str:
        return format_date(self.local(when).date(), "EEE", locale=self._babel)

    def date_hm(self, when: datetime, *, now: datetime) -> str:
        """`14:30` today, `明天 14:30` / `tomorrow 14:30`, else `11月25日 14:30`."""
        days = (self.local(when).date() - self.local(now).date()).days
        if days == 0:
            return self.hm(when)
        if days == 1:
            return self("fmt.tomorrow_at", time=self.hm(when))
        if days == -1:
            return self("fmt.yesterday_at", time=self.hm(when))
        return f"{self.date(when)} {self.hm(when)}"


@functools.cache
def _texts(locale: str, tz_name: str) -> Texts:
    return Texts(locale, ZoneInfo(tz_name))


def texts(locale: str | None, tz_name: str = "Asia/Shanghai") -> Texts:
    """Cached `Texts` for a locale (falling back to the default) and a timezone."""
    return _texts(normalise_locale(locale) or DEFAULT_LOCALE, tz_name)

"""Both catalogues say everything, with the same placeholders."""

import re
import string
from pathlib import Path

from boards.i18n import LOCALES, catalogue, texts

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_locales_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert set(zh) == set(en)
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key


def test_every_key_the_code_uses_exists() -> None:
    used: set[str] = set()
    pattern = re.compile(
        r"""["']((?:err|usage|ask|btn|menu|board|card|join|members|ward|"""
        r"""admit|discharge|move|transfer|surgery|critical|item|dialogue|"""
        r"""start|invite|bind|unbind|lang|newward|text|fmt)\.[a-z_.0-9]+)["']"""
    )
    for folder in ("boards", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    missing = {key for key in used if key not in catalogue("zh_CN")}
    assert not missing


def test_beds_and_dates_read_as_the_glossary_says() -> None:
    zh, en = texts("zh_CN"), texts("en")
    assert zh.bed("12") == "12床" and en.bed("12") == "Bed 12"
    assert zh.bed("+1") == "加1床"
    assert all(locale in ("zh_CN", "en") for locale in LOCALES)

"""Both catalogues say everything, with the same placeholders."""

import re
import string
from pathlib import Path

from boards.i18n import LOCALES, catalogue, is_chinese, texts

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_locales_have_the_same_keys_and_placeholders() -> None:
    zh = catalogue("zh_CN")
    for locale in LOCALES:
        other = catalogue(locale)
        assert set(other) == set(zh), locale
        for key in zh:
            assert _fields(zh[key]) == _fields(other[key]), (locale, key)


def test_traditional_chinese_uses_the_glossarys_words() -> None:
    # GLOSSARY.md's zh_TW column: a Hong Kong or Taiwan nurse reads her own ward's words,
    # and nothing is left in Simplified characters.
    tw = catalogue("zh_TW")
    text = "\n".join(tw.values())
    for simplified in ("病区", "护士长", "医嘱", "导管", "备注", "转床", "术后"):
        assert simplified not in text, simplified
    assert tw["board.census"] != catalogue("zh_CN")["board.census"]
    for word in ("護理長", "病房", "醫囑", "備註"):
        assert word in text, word


def test_every_key_the_code_uses_exists() -> None:
    # Every quoted "prefix.name" whose prefix is one the catalogues use: a new prefix is
    # covered as soon as its first key is written.
    prefixes = sorted({key.split(".", 1)[0] for key in catalogue("zh_CN") if "." in key})
    pattern = re.compile(r"""["'](({})\.[a-z_][a-z_.0-9]*)["']""".format("|".join(prefixes)))
    used: set[str] = set()
    for folder in ("boards", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= {m[0] for m in pattern.findall(path.read_text(encoding="utf-8"))}
    files = re.compile(r"\.(pdf|png|txt|db|po)$")  # "signs.pdf" is a file name, not a key
    missing = {key for key in used if key not in catalogue("zh_CN") and not files.search(key)}
    assert not missing


def test_every_command_of_the_table_has_its_menu_line_and_usage() -> None:
    from bot.table import COMMANDS

    zh = catalogue("zh_CN")
    assert not [c.name for c in COMMANDS if c.menu and f"menu.{c.name}" not in zh]
    takes_words = [c.name for c in COMMANDS if c.need.value != "anyone" and c.writes]
    assert not [name for name in takes_words if f"usage.{name}" not in zh]


def test_beds_and_dates_read_as_the_glossary_says() -> None:
    zh, en = texts("zh_CN"), texts("en")
    assert zh.bed("12") == "12床" and en.bed("12") == "Bed 12"
    assert zh.bed("+1") == "加1床"
    assert all(locale in ("zh_CN", "zh_TW", "en") for locale in LOCALES)
    tw = texts("zh-hant")
    assert tw.locale == "zh_TW" and tw.bed("12") == "12床"


def test_one_place_chooses_between_chinese_and_english() -> None:
    assert [is_chinese(x) for x in ("zh_CN", "zh", "中文", None, "xx")] == [True] * 5
    assert [is_chinese(x) for x in ("en", "en_US", "English")] == [False] * 3
    assert (texts("zh_CN").pick("防跌倒", "Fall"), texts("en").pick("防跌倒", "Fall")) == (
        "防跌倒",
        "Fall",
    )
    inline = re.compile(r"""locale\.startswith\(|_is_zh\b|\bis_zh\(""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("boards", "bot")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "i18n.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if inline.search(line)
    ]
    assert found == []

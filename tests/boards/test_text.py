"""Cleaning typed text: what a nurse sees is what is kept, in one normal form."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.text import clean_text, excerpt, graphemes, has_invisible, is_clean, visible_len

_DRAWS_NOTHING = frozenset({"Cc", "Cf", "Co", "Cn", "Cs"})


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("张\u200b三", "张三"),  # zero-width space
        ("张\u200c\u200d三", "张三"),  # zero-width non-joiner, joiner
        ("\ufeff张三", "张三"),  # BOM
        ("张\u2060三\u00ad", "张三"),  # word joiner, soft hyphen
        ("\u202e三张\u202c", "三张"),  # right-to-left override ... pop
        ("\u2066张三\u2069\u200e\u200f\u061c", "张三"),  # isolates, LRM, RLM, ALM
        ("张\x00三\x1b[31m", "张三[31m"),  # NUL, ESC
        ("\ue000张\U000f0001三", "张三"),  # private use
        ("张\ud800三", "张三"),  # a lone surrogate
        ("张\u0378三", "张三"),  # unassigned
        ("张\ufe0f\U000e0101三\u034f", "张三"),  # variation selectors, grapheme joiner
        ("\u3164\u115f", ""),  # Hangul fillers
        ("\u2800\u2800", ""),  # braille blanks
        ("  张\t三\n\r\u3000李\xa0四  ", "张 三 李 四"),
        ("１２床 ＰＩＣＣ １４：３０", "12床 PICC 14:30"),
        ("e\u200b\u0301", "é"),  # the mark meets its letter once the space between goes
        ("\u0301张三", "张三"),  # a mark with no letter
        ("张 \u0301三", "张 三"),
        ("<b>&amp;\"'</b>", "<b>&amp;\"'</b>"),  # escaping is the renderer's job
        ("", ""),
        ("\u200b \u200b", ""),
    ],
)
def test_examples(typed: str, kept: str) -> None:
    assert clean_text(typed) == kept


def test_multiline_keeps_line_breaks_and_at_most_one_blank_line() -> None:
    typed = "\n 第一行 \r\n\r\n\r\n第二行\u2028第三行\u202e \n\n"
    assert clean_text(typed, multiline=True) == "第一行\n\n第二行\n第三行"
    assert clean_text(typed) == "第一行 第二行 第三行"


def test_without_nfkc_the_characters_stay_as_they_are() -> None:
    assert clean_text("ŉ\u200bＪ") == "ʼnJ"
    assert clean_text("ŉ\u200bＪ", nfkc=False) == "ŉＪ"


def test_counting_and_echoing() -> None:
    assert visible_len("张\u200b三") == 2
    assert visible_len("e\u0301\u0302x") == 2
    assert graphemes("ã\u0301b") == ["ã\u0301", "b"]
    assert excerpt("很长" * 20, 4) == "很长很长"
    assert excerpt("\u202e12\u200b3", 2) == "12"
    assert has_invisible("1\u200b2") and has_invisible("\x07")
    assert not has_invisible(" 12\t床\n") and not has_invisible("张三")
    assert is_clean("张 三") and not is_clean("张  三")


_hostile = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cc", "Cf", "Co", "Cs", "Mn", "Me", "Mc", "Zs", "Zl", "Zp"]),
        st.sampled_from(["\u200b", "\u202e", "\u2066", "\ufeff", "\ud800", "\u0378", "¨"]),
    )
)


@given(_hostile, st.booleans())
def test_cleaned_text_draws_only_what_is_seen_and_is_stable(typed: str, multiline: bool) -> None:
    kept = clean_text(typed, multiline=multiline)
    assert not has_invisible(kept)
    assert all(unicodedata.category(ch) not in _DRAWS_NOTHING or ch == "\n" for ch in kept)
    assert unicodedata.is_normalized("NFKC", kept)
    assert clean_text(kept, multiline=multiline) == kept
    assert kept == kept.strip()
    lines = kept.split("\n")
    assert multiline or len(lines) == 1
    for line in lines:
        assert "  " not in line and line == line.strip(" ")
        assert all(not ch.isspace() or ch == " " for ch in line)
        assert not line or not unicodedata.category(line[0]).startswith("M")
    assert "\n\n\n" not in kept


@given(_hostile)
def test_without_nfkc_cleaning_is_stable_too(typed: str) -> None:
    kept = clean_text(typed, nfkc=False)
    assert not has_invisible(kept)
    assert clean_text(kept, nfkc=False) == kept


def test_numbers_are_ascii_digits_that_fit_their_column() -> None:
    from boards.text import BIGINT_MAX, is_number, typed_number

    assert is_number("123") and is_number("1000000000") and is_number("2147483647")
    assert not is_number("2147483648")  # past PostgreSQL's integer
    assert not is_number("02147483648")  # nor by leading zeros
    assert is_number("123456789012345678", most=BIGINT_MAX)
    assert not is_number("9223372036854775808", most=BIGINT_MAX)
    for word in ("", "²", "①", "١٢", "１２", "-1", "1e3", " 1"):
        assert not is_number(word), word
    # What a nurse types: full-width digits and a list's # read; the rest refused.
    assert typed_number("１２") == 12 and typed_number("#3") is None
    assert typed_number("#3", listed=True) == 3 and typed_number("＃3", listed=True) == 3
    assert typed_number("99999999999999999999") is None and typed_number("三") is None
